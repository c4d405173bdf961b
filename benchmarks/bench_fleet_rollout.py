"""Times the whole example-fleet rollout with validation (47 jobs, baseline + after), by hand:

    python benchmarks/bench_fleet_rollout.py

Three runs of the same demo, each from an empty check-result cache (so each runs the same tests):
1. cold: empty uv package cache and empty env cache (a new machine: every wheel is downloaded);
2. envs rebuilt: warm uv cache, empty env cache;
3. warm: both caches warm.
The ratios say what each cache saves."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo import run_demo  # noqa: E402


def timed_demo(env_cache: Path, uv_cache: Path) -> tuple[float, int]:
    os.environ["UPGRADE_BOT_CACHE"] = str(env_cache)
    os.environ["UV_CACHE_DIR"] = str(uv_cache)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as target:
        started = time.monotonic()
        _, reports = run_demo(Path(target) / "demo", lambda line: None)
        elapsed = time.monotonic() - started
    builds = sum(1 for report in reports for r in report.results if r.status in ("opened", "updated"))
    return elapsed, builds


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-caches-") as caches:
        root = Path(caches)
        cold, builds = timed_demo(root / "envs-1", root / "uv")
        rebuilt, _ = timed_demo(root / "envs-2", root / "uv")
        warm, _ = timed_demo(root / "envs-2", root / "uv")
        envs = len([p for p in (root / "envs-2").iterdir() if p.is_dir()])
    print(f"fleet rollout with validation: {builds} PR builds (opened or regenerated), {envs} environments")
    print(f"1 cold (no uv cache, no envs): {cold:7.1f} s")
    print(f"2 envs rebuilt (uv cache warm): {rebuilt:7.1f} s")
    print(f"3 warm (envs cached):           {warm:7.1f} s")
    print(f"env cache saves: {rebuilt / warm:.2f}x over rebuilding envs, {cold / warm:.2f}x over a new machine")


if __name__ == "__main__":
    main()
