"""Speed and scale of a run (issues 11 and 15), by hand, never in CI:

    python benchmarks/bench_speed.py                              # the two example fleets, as they are
    python benchmarks/bench_speed.py --services 300               # ... and a generated fleet of 300 beside them
    python benchmarks/bench_speed.py --bot old=/tmp/old-checkout --bot wheel=/tmp/venv/bin/upgrade-bot
    python benchmarks/bench_speed.py --repeat 3 --jobs 1 2 --out bench.json
    python benchmarks/bench_speed.py --instructions                # ... and instructions counted by valgrind

The fleets users give the bot come first: examples/fleet and examples/second-fleet, UNPADDED (every file
of theirs matters to some recipe). A generated fleet (benchmarks/fleet_gen.py: example services plus
ordinary modules no recipe reads) only ever comes beside them, never instead: padding makes the bot look
cheaper per file than it is.

For each fleet, repetition and bot, in one session, each step a fresh process (interpreter start
included, as a cron run pays it): the libcst floor (parse + codegen of every .py file of the fleet's
services), `plan`, the first `run --skip-checks --all-waves`, a no-op re-run, and a re-run after the base
moved inside one service. The headline is CPU time (user + system, children included) of the first run
over the floor's: wall time on a shared machine is noise. A bot is a checkout (run as `python -m bot` with
PYTHONPATH=checkout: its code and its bundled recipes) or an installed `upgrade-bot` executable (a wheel in
a venv); with several bots the steps alternate, so their ratios come from the same minutes of the same
machine. Prints medians and ratios; writes every sample as JSON.

CPU time moves with the machine: the bot's Python walks large heaps and starts git processes, so on a busy
host it slows down more than the floor's native parser, and the same code measured 1.85x one day and 2.3x
the day before. `--instructions` adds a figure the host cannot move: the instructions a first run and the
floor execute (valgrind's cachegrind, every process the run starts summed, git's included), counted once per
fleet and bot after the timed repetitions. It is slow (about a minute per count) and needs valgrind."""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from fleet_gen import ENV, copy_fleet, generate  # noqa: E402

REAL_FLEETS = {"fleet": ROOT / "examples" / "fleet", "second-fleet": ROOT / "examples" / "second-fleet"}

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


def timed(argv: list[str], cwd: Path | None = None, pythonpath: Path | None = ROOT) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one process; its CPU seconds go to CPU_SECONDS["last"]."""
    # as an installed bot runs: with its bytecode cached (pip compiles it at install time). A machine that
    # sets PYTHONDONTWRITEBYTECODE would recompile the bot's modules in every step (~0.08 s each here).
    env = {k: v for k, v in ENV.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
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


class Bot:
    """How to run one bot: a checkout (`python -m bot`, PYTHONPATH=checkout) or an installed executable."""

    def __init__(self, label: str, where: Path) -> None:
        self.label, self.where = label, where
        self.installed = where.is_file()

    def argv(self, work: Path, *args: str) -> list[str]:
        start = [str(self.where)] if self.installed else [sys.executable, "-m", "bot"]
        return [*start, "--repo", str(work), *args]

    def step(self, work: Path, *args: str) -> tuple[float, int, str]:
        cwd = work if self.installed else self.where  # an installed bot must not import a checkout's `bot`
        return timed(self.argv(work, *args), cwd=cwd, pythonpath=None if self.installed else self.where)


def instructions(argv: list[str], cwd: Path | None = None, pythonpath: Path | None = ROOT) -> tuple[int, int]:
    """Instructions executed by one process and every process it starts (valgrind's "I refs", summed), and how
    many processes that was."""
    with tempfile.TemporaryDirectory(prefix="bench-valgrind-") as logs:
        timed(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               "--trace-children=yes", f"--log-file={logs}/process.%p", *argv], cwd=cwd, pythonpath=pythonpath)
        counts = [instruction_count(log.read_text()) for log in Path(logs).glob("process.*")]
    return sum(counts), len(counts)


def instruction_count(valgrind_log: str) -> int:
    """The "I refs" figure of one process's cachegrind log ("==12== I   refs:      1,234,567")."""
    for line in valgrind_log.splitlines():
        label, _, figure = line.partition("refs:")
        if figure and label.split("==")[-1].strip() == "I":
            return int(figure.strip().replace(",", ""))
    raise SystemExit(f"valgrind wrote no instruction count:\n{valgrind_log[-2000:]}")


def count_instructions(name: str, bots: list[Bot], tmp: Path) -> dict:
    """One count per fleet and bot (instructions barely move between runs): the floor, then each first run."""
    counts: dict = {"fleet": name}
    work = make_fleet(name, tmp)
    counts["floor"], counts["floor_processes"] = instructions([sys.executable, "-c", FLOOR, str(work / "services")])
    for bot in bots:
        fresh = make_fleet(name, tmp)
        bot.step(fresh, "plan")  # the bytecode compiled outside the counted run, as in the timed ones
        argv = bot.argv(fresh, "run", "--skip-checks", "--all-waves", "-j", "1")
        counts[bot.label], counts[f"{bot.label}_processes"] = instructions(
            argv, cwd=fresh if bot.installed else bot.where, pythonpath=None if bot.installed else bot.where)
    return counts


def move_base_in_one_service(work: Path) -> None:
    service = sorted((work / "services").iterdir())[0]
    target = next(p for p in sorted(service.rglob("*.py")) if "/tests/" not in p.as_posix())
    target.write_text(target.read_text() + "\n# the base moved here\n")
    for args in (["add", "-A"], ["commit", "-qm", "move"], ["push", "-q", "origin", "main"]):
        subprocess.run(["git", *args], cwd=work, check=True, env=ENV, capture_output=True)


def make_fleet(name: str, tmp: Path) -> Path:
    root = tmp / f"{name}-{time.monotonic_ns()}"
    if name in REAL_FLEETS:
        return copy_fleet(root, REAL_FLEETS[name])
    return generate(root, int(name.removeprefix("generated-")))


def one_round(name: str, bots: list[Bot], jobs: list[int], tmp: Path) -> dict:
    """Every step of one fleet for every bot (and -j value): each first run on a fresh copy, empty forge."""
    sample: dict = {"fleet": name}
    work = make_fleet(name, tmp)
    sample["floor"], sample["floor_rss"], files = timed([sys.executable, "-c", FLOOR, str(work / "services")])
    sample["floor_cpu"] = CPU_SECONDS["last"]
    sample["py_files"] = int(files)
    for bot in bots:
        first_work = None
        for j in jobs:
            fresh = make_fleet(name, tmp)
            first_work = first_work or fresh
            if bot is bots[0] and j == jobs[0]:
                sample["plan"], sample["plan_rss"], _ = bot.step(fresh, "plan")  # also compiles the bytecode
                sample["plan_cpu"] = CPU_SECONDS["last"]
            else:
                bot.step(fresh, "plan")  # the bot's bytecode compiled outside the timed first run
            key = f"{bot.label}_first_j{j}"
            sample[key], sample[f"{key}_rss"], out = bot.step(fresh, "run", "--skip-checks", "--all-waves", "-j", str(j))
            sample[f"{key}_cpu"] = CPU_SECONDS["last"]
            sample[f"{bot.label}_jobs_line"] = out.strip().splitlines()[-1] if out.strip() else ""
        key = f"{bot.label}_noop"
        sample[key], sample[f"{key}_rss"], _ = bot.step(first_work, "run", "--skip-checks", "--all-waves")
        sample[f"{key}_cpu"] = CPU_SECONDS["last"]
        move_base_in_one_service(first_work)
        key = f"{bot.label}_moved"
        sample[key], sample[f"{key}_rss"], _ = bot.step(first_work, "run", "--skip-checks", "--all-waves")
        sample[f"{key}_cpu"] = CPU_SECONDS["last"]
    return sample


def summarise(rows: list[dict], bots: list[Bot], jobs: list[int]) -> dict:
    med = {k: statistics.median(s[k] for s in rows) for k in rows[0] if isinstance(rows[0][k], (int, float))
           and k not in ("py_files",) and not k.endswith("_rss")}
    summary: dict = {"median_seconds": med, "py_files": rows[0]["py_files"],
                     "peak_rss_mib": max(max(v for k, v in s.items() if k.endswith("_rss")) for s in rows) / 1024}
    for bot in bots:
        first = f"{bot.label}_first_j{jobs[0]}"
        summary[bot.label] = {
            "first_over_floor_cpu": med[f"{first}_cpu"] / med["floor_cpu"],
            "first_over_floor_wall": med[first] / med["floor"],
            "noop_cpu": med[f"{bot.label}_noop_cpu"],
            "moved_cpu": med[f"{bot.label}_moved_cpu"],
            **({f"speedup_j{j}": med[first] / med[f"{bot.label}_first_j{j}"] for j in jobs[1:]}),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="*", default=[],
                        help="also generated fleets of these sizes (beside the real fleets, never instead)")
    parser.add_argument("--fleets", nargs="*", default=list(REAL_FLEETS), choices=list(REAL_FLEETS),
                        help="the real fleets to measure (default: both)")
    parser.add_argument("--bot", action="append", default=[], metavar="LABEL=PATH",
                        help="a checkout folder or an installed upgrade-bot executable (default: this checkout)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1])
    parser.add_argument("--out", type=Path, default=Path("bench_speed.json"))
    parser.add_argument("--keep", type=Path, help="make the fleets here and keep them (to profile later)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count the instructions of each first run and of the floor (valgrind)")
    args = parser.parse_args()
    if args.instructions and not shutil.which("valgrind"):
        parser.error("--instructions needs valgrind on PATH (Debian: apt-get install valgrind)")
    bots = [Bot(label, Path(where).resolve()) for label, _, where in (b.partition("=") for b in args.bot)]
    bots = bots or [Bot("this", ROOT)]
    fleets = [*args.fleets, *(f"generated-{n}" for n in args.services)]
    samples = []
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as scratch:
        tmp = args.keep or Path(scratch)
        for r in range(args.repeat):  # fleets interleaved within each repetition
            for name in fleets:
                sample = one_round(name, bots, args.jobs, Path(tmp))
                sample["repeat"] = r
                samples.append(sample)
                print(json.dumps(sample), flush=True)
        counted = [count_instructions(name, bots, Path(tmp)) for name in fleets] if args.instructions else []
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
              "bots": {b.label: str(b.where) for b in bots}, "samples": samples, "instructions": counted, "summary": {}}
    for name in fleets:
        rows = [s for s in samples if s["fleet"] == name]
        summary = report["summary"][name] = summarise(rows, bots, args.jobs)
        padded = " (generated: padded with modules no recipe reads)" if name.startswith("generated-") else ""
        print(f"\n{name}{padded}: {summary['py_files']} .py files, median of {len(rows)}")
        print(f"  libcst floor (parse + codegen)   {summary['median_seconds']['floor_cpu']:6.2f} s CPU")
        for bot in bots:
            first = f"{bot.label}_first_j{args.jobs[0]}"
            ratios = summary[bot.label]
            print(f"  {bot.label:<12} first run {summary['median_seconds'][f'{first}_cpu']:6.2f} s CPU = "
                  f"{ratios['first_over_floor_cpu']:.2f}x the floor (wall {ratios['first_over_floor_wall']:.2f}x); "
                  f"no-op {ratios['noop_cpu']:.2f} s, base moved in one service {ratios['moved_cpu']:.2f} s CPU")
        for counts in (c for c in counted if c["fleet"] == name):
            print(f"  instructions, counted once: floor {counts['floor'] / 1e9:.2f} G")
            for bot in bots:
                print(f"  {bot.label:<12} first run {counts[bot.label] / 1e9:6.2f} G = "
                      f"{counts[bot.label] / counts['floor']:.2f}x the floor ({counts[f'{bot.label}_processes']} processes)")
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}; load average {os.getloadavg()} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
