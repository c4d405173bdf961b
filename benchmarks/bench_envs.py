"""The validated demo with a cold and a warm environment cache, against its floor, by hand:

    python benchmarks/bench_envs.py [--fleet examples/fleet] [--keep]

Two runs of `upgrade-bot demo` (the example fleet rolled out wave by wave, every PR validated on the
base and on the branch), each in a fresh repository, so each runs the same tests:
1. cold: an empty upgrade-bot environment cache (uv's own package cache is left as it is, so after the
   first run ever the wheels come from it: the figure measures resolving, venv creation, installation);
2. warm: the environments the cold run built.

The floor is what no environment cache can save: the services' own test time, base plus branch (the sum
of the durations of the check commands the run started). Overhead = run time - floor.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.demo import FLEET, run_demo  # noqa: E402  (the repo must be on sys.path first when run by hand)


def check_seconds(work: Path) -> tuple[float, int]:
    """Seconds the check commands ran (the floor) and how many check runs there were, from the results
    the run stored (one file per service tree tested)."""
    total, runs = 0.0, 0
    for stored in (work / ".git" / "upgrade-bot" / "validation").glob("*.json"):
        data = json.loads(stored.read_text())
        for run in data.get("runs", []) if isinstance(data, dict) else []:
            total += run.get("duration", 0.0)
            runs += 1
    return total, runs


def timed_demo(env_cache: Path, fleet: Path) -> dict:
    os.environ["UPGRADE_BOT_CACHE"] = str(env_cache)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as target:
        started = time.perf_counter()
        work, reports = run_demo(Path(target) / "demo", lambda line: None, fleet=fleet)
        elapsed = time.perf_counter() - started
        floor, runs = check_seconds(work)
    prs = sum(1 for report in reports for r in report.results if r.status in ("opened", "updated"))
    return {"seconds": elapsed, "floor": floor, "check_runs": runs, "prs": prs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=Path, default=FLEET)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's env cache and print where")
    args = parser.parse_args(argv)

    cache = Path(tempfile.mkdtemp(prefix="upgrade-bot-bench-envs-"))
    try:
        cold = timed_demo(cache, args.fleet)
        envs = len([p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")])
        warm = timed_demo(cache, args.fleet)
    finally:
        if not args.keep:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"validated demo: {cold['prs']} PRs, {cold['check_runs']} check runs, {envs} environments built")
    for name, figures in (("cold (empty env cache)", cold), ("warm (envs cached)", warm)):
        overhead = figures["seconds"] - figures["floor"]
        print(f"{name:24} {figures['seconds']:7.1f} s   floor (tests) {figures['floor']:6.1f} s   "
              f"overhead {overhead:6.1f} s   run/floor {figures['seconds'] / max(figures['floor'], 0.001):5.2f}x")
    print(f"cold/warm: {cold['seconds'] / warm['seconds']:.2f}x")
    if args.keep:
        print(f"env cache kept at {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
