"""Speed and scale of a run (issue 11), by hand, never in CI:

    python benchmarks/bench_speed.py [--services 31 300] [--repeat 2] [--jobs 1 2] [--out bench.json]

For each fleet size and repetition, on a fresh generated fleet (benchmarks/fleet_gen.py), in one session:
the libcst floor (parse + codegen of every .py file of the fleet), `plan`, the first `run --skip-checks
--all-waves`, a no-op re-run, and a re-run after the base moved inside one service. Each step is a fresh
process (interpreter start included, as a cron run pays it); peak RSS is that process's. With several
--jobs values the first run is measured once per value, alternating. Prints medians and ratios; writes
every sample as JSON. Timings on a shared machine are noisy: compare ratios from one session."""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from fleet_gen import ENV, generate  # noqa: E402

FLOOR = """
import sys, pathlib, libcst
n = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    if "/.git/" in str(path):
        continue
    libcst.parse_module(path.read_text()).code
    n += 1
print(n)
"""


CPU_SECONDS: dict[str, float] = {}  # the last timed step's CPU time (user + system, its children included)


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one process; its CPU seconds go to CPU_SECONDS["last"]."""
    # as an installed bot runs: with its bytecode cached (pip compiles it at install time). A machine that
    # sets PYTHONDONTWRITEBYTECODE would recompile the bot's modules in every step (~0.08 s each here).
    env = {**{k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    CPU_SECONDS["last"] = usage.ru_utime + usage.ru_stime
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss, out


def bot(work: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "--repo", str(work), *args]


def move_base_in_one_service(work: Path) -> None:
    service = sorted((work / "services").iterdir())[0]
    target = next(p for p in sorted(service.rglob("*.py")) if "ordinary" in p.name)
    target.write_text(target.read_text() + "\n# the base moved here\n")
    for args in (["add", "-A"], ["commit", "-qm", "move"], ["push", "-q", "origin", "main"]):
        subprocess.run(["git", *args], cwd=work, check=True, env=ENV, capture_output=True)


def one_round(size: int, jobs: list[int], tmp: Path) -> dict:
    sample: dict = {"services": size}
    fleets = {}
    for j in jobs:  # one fresh fleet per -j value: the first run needs an empty forge
        fleets[j] = generate(tmp / f"fleet-{size}-j{j}-{time.monotonic_ns()}", size)
    work = fleets[jobs[0]]
    sample["floor"], sample["floor_rss"], files = timed([sys.executable, "-c", FLOOR, str(work / "services")])
    sample["floor_cpu"] = CPU_SECONDS["last"]
    sample["py_files"] = int(files)
    sample["plan"], sample["plan_rss"], _ = timed(bot(work, "plan"))
    sample["plan_cpu"] = CPU_SECONDS["last"]
    for j in jobs:
        t, rss, out = timed(bot(fleets[j], "run", "--skip-checks", "--all-waves", "-j", str(j)))
        sample[f"first_j{j}"], sample[f"first_j{j}_rss"] = t, rss
        sample[f"first_j{j}_cpu"] = CPU_SECONDS["last"]
        sample["jobs_line"] = out.strip().splitlines()[-1] if out.strip() else ""
    sample["noop"], sample["noop_rss"], out = timed(bot(work, "run", "--skip-checks", "--all-waves"))
    sample["noop_cpu"] = CPU_SECONDS["last"]
    sample["noop_line"] = next((l for l in out.splitlines() if l.endswith(("unchanged", "no-change")) or " job(s): " in l), "")
    move_base_in_one_service(work)
    sample["moved"], sample["moved_rss"], out = timed(bot(work, "run", "--skip-checks", "--all-waves"))
    sample["moved_cpu"] = CPU_SECONDS["last"]
    sample["moved_line"] = next((l for l in out.splitlines() if " job(s): " in l), "")
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=[31])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1])
    parser.add_argument("--out", type=Path, default=Path("bench_speed.json"))
    parser.add_argument("--keep", type=Path, help="generate the fleets here and keep them (to profile later)")
    args = parser.parse_args()
    samples = []
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as scratch:
        tmp = args.keep or scratch
        for r in range(args.repeat):  # sizes interleaved within each repetition
            for size in args.services:
                sample = one_round(size, args.jobs, Path(tmp))
                sample["repeat"] = r
                samples.append(sample)
                print(json.dumps(sample), flush=True)
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load": os.getloadavg()}, "samples": samples, "summary": {}}
    first = f"first_j{args.jobs[0]}"
    for size in args.services:
        rows = [s for s in samples if s["services"] == size]
        med = {k: statistics.median(s[k] for s in rows) for k in rows[0] if isinstance(rows[0][k], float)}
        rss = max(max(v for k, v in s.items() if k.endswith("_rss")) for s in rows)
        summary = {"median_seconds": med, "peak_rss_mib": rss / 1024,
                   "first_over_floor": med[first] / med["floor"],
                   "first_over_floor_cpu": med[f"{first}_cpu"] / med["floor_cpu"],
                   "noop_over_first": med["noop"] / med[first],
                   "moved_over_first": med["moved"] / med[first], "plan_over_floor": med["plan"] / med["floor"],
                   "first_seconds_per_service": med[first] / size}
        if len(args.jobs) > 1:
            summary["speedup"] = {f"j{j}": med[f"first_j{args.jobs[0]}"] / med[f"first_j{j}"] for j in args.jobs}
        report["summary"][size] = summary
        print(f"\n{size} services ({rows[0]['py_files']} .py files), median of {len(rows)}:")
        for key, value in med.items():
            print(f"  {key:<10} {value:8.2f} s")
        for key, value in summary.items():
            if key != "median_seconds":
                print(f"  {key:<26} {value if isinstance(value, dict) else round(value, 3)}")
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}; load average {os.getloadavg()} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
