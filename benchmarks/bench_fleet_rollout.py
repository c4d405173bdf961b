"""Times the whole example-fleet rollout with validation (47 jobs, baseline + after), by hand:

    python benchmarks/bench_fleet_rollout.py

Run 1 starts from an empty environment cache (uv's own package cache may be warm: said in the output),
run 2 reuses the environments. Both start from empty check-result caches, so they run the same tests;
the ratio is what the environment cache saves."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo import run_demo  # noqa: E402


def timed_demo(cache: Path) -> tuple[float, int]:
    os.environ["UPGRADE_BOT_CACHE"] = str(cache)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as target:
        started = time.monotonic()
        _, reports = run_demo(Path(target) / "demo", lambda line: None)
        elapsed = time.monotonic() - started
    jobs = sum(1 for report in reports for r in report.results if r.status in ("opened", "updated"))
    return elapsed, jobs


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-envs-") as cache:
        cold, jobs = timed_demo(Path(cache))
        envs = len([p for p in Path(cache).iterdir() if p.is_dir()])
        warm, _ = timed_demo(Path(cache))
    print(f"fleet rollout with validation: {jobs} PR builds, {envs} environments")
    print(f"cold env cache: {cold:7.1f} s")
    print(f"warm env cache: {warm:7.1f} s")
    print(f"ratio cold/warm: {cold / warm:.2f}x (uv's package cache was warm in both runs)")


if __name__ == "__main__":
    main()
