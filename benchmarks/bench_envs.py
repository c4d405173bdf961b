"""The validated demo with a cold and a warm environment cache, against its floor, by hand:

    python benchmarks/bench_envs.py [--fleet examples/fleet] [--vs OTHER_CHECKOUT] [--installed PYTHON]

Two runs of `upgrade-bot demo` (the example fleet rolled out wave by wave, every PR validated on the
base and on the branch), each in a fresh repository, so each runs the same tests:
1. cold: an empty upgrade-bot environment cache (uv's own package cache is left as it is, so after the
   first run ever the wheels come from it: the figure measures resolving, venv creation, installation);
2. warm: the environments the cold run built.

The floor is what no environment cache can save: the services' own test time, base plus branch (the check
commands the run started). Overhead = run - floor. Figures are CPU time (user + system of the run's whole
process tree, and of each check command's tree for the floor), so that other work on a shared machine moves
them little; wall seconds are printed beside them.

Subjects, measured in one call, cold runs first and then warm runs, taking turns:
- this checkout;
- --vs DIR: another checkout of the bot (an older commit: `git archive <commit> | tar -x -C DIR`);
- --installed PYTHON: the bot as users install it, imported by that interpreter (a venv the built wheel was
  installed into), with no checkout on its path.
Each subject runs in its own process with its own environment cache.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Runs a check command and appends the CPU and wall seconds of its whole process tree to a file: the floor, one
# line per check command started (the results a run stores are not counted: one run may be stored twice, under
# the tree's own Python and under the one the branch preferred).
CHECK_CPU_WRAPPER = """\
import resource, subprocess, sys, time
started = time.monotonic()
code = subprocess.call(sys.argv[2:])
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "a") as out:
    out.write(f"{usage.ru_utime + usage.ru_stime} {wall}\\n")
sys.exit(code if code >= 0 else 128 - code)
"""


def child(root: str, cache: Path, fleet: str) -> None:
    """One demo, in this process: prints its figures as JSON (the parent measures its CPU)."""
    if root:
        sys.path.insert(0, root)
    os.environ["UPGRADE_BOT_CACHE"] = str(cache)
    from bot import demo
    from bot.validation import checks

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as target:
        cpu_file = Path(target) / "check-cpu"
        wrapper = Path(target) / "check_cpu.py"
        wrapper.write_text(CHECK_CPU_WRAPPER)
        original = checks._run_in_process_group

        def measured(command, *args, **kwargs):
            return original([sys.executable, str(wrapper), str(cpu_file), *command], *args, **kwargs)

        checks._run_in_process_group = measured
        started = time.perf_counter()
        _, reports = demo.run_demo(Path(target) / "demo", lambda line: None,
                                      fleet=Path(fleet) if fleet else demo.FLEET)
        elapsed = time.perf_counter() - started
        checks_run = [line.split() for line in cpu_file.read_text().splitlines()] if cpu_file.exists() else []
    prs = sum(1 for report in reports for r in report.results if r.status in ("opened", "updated"))
    print(json.dumps({"wall": elapsed, "floor_wall": sum(float(wall) for _, wall in checks_run),
                      "floor_cpu": sum(float(cpu) for cpu, _ in checks_run), "check_runs": len(checks_run),
                      "prs": prs, "bot": str(Path(demo.__file__).parent)}))


def measure(python: str, root: str, cache: Path, fleet: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([python, str(Path(__file__).resolve()), "--child", root, "--cache", str(cache),
                           "--fleet", fleet], capture_output=True, text=True, check=False,
                          cwd=tempfile.gettempdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the demo failed ({python} {root or '(installed)'}):\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures["envs"] = len([p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", default="", help="the fleet to roll out (default: each subject's own demo fleet)")
    parser.add_argument("--vs", type=Path, action="append", default=[], help="another checkout of the bot")
    parser.add_argument("--installed", action="append", default=[],
                        help="an interpreter that imports the bot as installed (from a wheel)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.cache, args.fleet)
        return 0

    subjects = [("this checkout", sys.executable, str(REPO_ROOT))]
    subjects += [(f"checkout {path}", sys.executable, str(path.resolve())) for path in args.vs]
    subjects += [(f"installed ({python})", python, "") for python in args.installed]
    caches = {name: Path(tempfile.mkdtemp(prefix="upgrade-bot-bench-envs-")) for name, _, _ in subjects}
    results: dict[str, dict[str, dict]] = {name: {} for name, _, _ in subjects}
    try:
        for phase in ("cold", "warm"):
            for name, python, root in subjects:
                results[name][phase] = measure(python, root, caches[name], args.fleet)
    finally:
        for cache in caches.values():
            shutil.rmtree(cache, ignore_errors=True)
    print("CPU seconds (user + system); wall seconds in brackets. floor = the check commands' own trees.")
    for name, _, _ in subjects:
        cold = results[name]["cold"]
        print(f"{name}: {cold['bot']}\n  {cold['prs']} PRs, {cold['check_runs']} check runs, "
              f"{cold['envs']} environments built")
        for phase in ("cold", "warm"):
            f = results[name][phase]
            print(f"  {phase:5} run {f['cpu']:7.1f} s [{f['wall']:6.1f}]   floor {f['floor_cpu']:6.1f} s "
                  f"[{f['floor_wall']:6.1f}]   overhead {f['cpu'] - f['floor_cpu']:6.1f} s   "
                  f"run/floor {f['cpu'] / max(f['floor_cpu'], 0.001):5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
