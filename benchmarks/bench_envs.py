"""Build the envs the example fleet needs, cold (empty env cache) then warm, and print the ratio.

    python benchmarks/bench_envs.py [--fleet examples/fleet] [--keep]

"Cold" means an empty upgrade-bot env cache; uv's own package cache (``uv cache dir``) is left as it
is, so after the first run ever the wheels come from it and the cold figure measures venv creation and
installation, not downloads. Services with equal pins share one env, so the fleet needs far fewer envs
than it has services.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.validation.envs import (  # noqa: E402  (the repo must be on sys.path first when run by hand)
    ensure_env,
    env_key,
    expand_requirements,
    requirement_sources,
    resolve_interpreter,
)


def fleet_sources(fleet: Path) -> dict[str, list[Path]]:
    services = sorted(path for path in (fleet / "services").iterdir() if path.is_dir())
    found = {service.name: requirement_sources(service) for service in services}
    return {name: sources for name, sources in found.items() if sources}


def build_all(sources: dict[str, list[Path]], cache: Path) -> float:
    started = time.perf_counter()
    for files in sources.values():
        ensure_env(files, cache_dir=cache)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=Path, default=REPO_ROOT / "examples" / "fleet")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's env cache and print where")
    args = parser.parse_args(argv)

    sources = fleet_sources(args.fleet)
    interpreter = resolve_interpreter()
    keys = {env_key(expand_requirements(files), interpreter) for files in sources.values()}
    cache = Path(tempfile.mkdtemp(prefix="upgrade-bot-bench-envs-"))
    try:
        cold = build_all(sources, cache)
        warm = build_all(sources, cache)
    finally:
        if not args.keep:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"services with requirements: {len(sources)}")
    print(f"distinct envs (shared by equal pins): {len(keys)}")
    print(f"python: {interpreter.key_text}")
    print(f"cold (empty env cache, uv package cache as found): {cold:.2f} s")
    print(f"warm (every env cached): {warm:.3f} s")
    print(f"cold/warm ratio: {cold / warm:.0f}x")
    if args.keep:
        print(f"env cache kept at {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
