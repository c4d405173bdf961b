"""Helpers of the fault suite: real bot processes (to kill -9 or run two at once), a recipe that can be
held mid-run, and the invariants every fault must leave intact."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import TEST_RECIPES, Monorepo, git, widgets_service

import bot
from bot.killpoints import VARIABLE as KILL_AT  # env={KILL_AT: "pushed"}: the process kills itself there

BOT_ROOT = Path(bot.__file__).resolve().parent.parent  # the code under test, also in child processes
ROW = re.compile(r"^\| \d+ \((\w+)\) \| `([^`]+)` \| `([^`]+)` \| ([^|]+) \|")
STATES = {"planned", "blocked", "open", "failing checks", "no tests ran", "could not validate", "needs manual work", "merged",
          "closed", "reverted"}

# a bot process that waits before each push while $FAULT_PUSH_HOLD exists (after writing <it>.held);
# every push (one branch or a run's batch) goes through push_many
HOLD_BEFORE_PUSH = """
import os, pathlib, time
import bot.gitops as gitops
_push_many = gitops.GitRepo.push_many
def _held_push(self, *args, **kwargs):
    hold = pathlib.Path(os.environ["FAULT_PUSH_HOLD"])
    if hold.exists():
        hold.with_name(hold.name + ".held").write_text("")
        while hold.exists():
            time.sleep(0.02)
    return _push_many(self, *args, **kwargs)
gitops.GitRepo.push_many = _held_push
"""

HELD_CODEMOD = '''

import os as _os
import pathlib as _pathlib
import time as _time


class HeldCodemod(WidgetsCodemod):
    """Waits while $FAULT_HOLD exists (after writing $FAULT_HOLD.held): a run paused mid-job."""

    def migrate(self, service):
        hold = _os.environ.get("FAULT_HOLD")
        if hold:
            _pathlib.Path(hold + ".held").write_text(str(_os.getpid()))
            while _pathlib.Path(hold).exists():
                _time.sleep(0.02)
        return super().migrate(service)
'''


def fault_recipes(root: Path, extra: str = HELD_CODEMOD, cls: str = "HeldCodemod") -> Path:
    """recipes/widgets-2.0 whose codemod class is `cls`, defined by `extra` appended to the module."""
    folder = root / "recipes" / "widgets-2.0"
    shutil.copytree(TEST_RECIPES / "widgets-2.0", folder)
    (folder / "codemod.py").write_text((folder / "codemod.py").read_text() + extra)
    toml = folder / "recipe.toml"
    toml.write_text(toml.read_text().replace("codemod.py:WidgetsCodemod", f"codemod.py:{cls}"))
    return folder.parent


def fleet(root: Path, names: tuple[str, ...] = ("alpha", "beta"), tiers: dict[str, str] | None = None,
          extra_config: str = "", recipes: Path | None = None, files: dict | None = None) -> Monorepo:
    recipes = recipes or fault_recipes(root)
    tiers = tiers or {n: "low" for n in names}
    config = (f'services = "services/*"\nrecipe-dirs = ["{recipes.as_posix()}"]\nenabled-recipes = ["widgets-2.0"]\n'
              f'{extra_config}\n[tiers]\n' + "".join(f'"{k}" = "{v}"\n' for k, v in tiers.items()))
    tree = {"upgrade-bot.toml": config, "README.md": "fleet\n"}
    for name in names:
        tree.update(widgets_service(name))
    tree.update(files or {})
    return Monorepo(root, tree)


def bot_process(repo: Monorepo, *args: str, env: dict | None = None, preamble: str = "") -> subprocess.Popen:
    """`upgrade-bot --repo REPO ARGS` in a process of its own; `preamble` is Python run first (a fault)."""
    code = f"{preamble}\nimport sys\nfrom bot.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "--repo", str(repo.work), *args],
                            env={**os.environ, "PYTHONPATH": str(BOT_ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def kill9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def wait_for(path: Path, timeout: float = 30) -> None:
    wait_until(path.exists, timeout, f"{path} never appeared")


def wait_until(condition, timeout: float = 30, what: str = "the condition never held") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def children_of(pid: int) -> list[int]:
    """The live child processes of pid (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def origin_branches(repo: Monorepo) -> dict[str, str]:
    out = git(repo.origin, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
    return dict(line.split() for line in out.splitlines())


def prs(repo: Monorepo) -> list[dict]:
    folder = repo.work / ".git/upgrade-bot/forge/prs"
    return [json.loads(p.read_text())["pr"] for p in sorted(folder.glob("*.json"), key=lambda p: int(p.stem))]


def violations(repo: Monorepo, human_commits: set[str] = frozenset(), jobs: int | None = None) -> list[str]:
    """Broken invariants: an open bot PR without its branch, two open PRs for one job, a PR merged twice,
    a human commit no origin ref contains any more, and (with `jobs`) a dashboard where a job is not in
    exactly one state."""
    found = []
    branches = origin_branches(repo)
    open_heads: dict[str, int] = {}
    for pr in prs(repo):
        if pr["state"] != "open":
            continue
        if pr["head"] not in branches:
            found.append(f"open PR #{pr['number']} lost its branch {pr['head']}")
        if pr["head"] in open_heads:
            found.append(f"PRs #{open_heads[pr['head']]} and #{pr['number']} are both open for {pr['head']}")
        open_heads[pr["head"]] = pr["number"]
    merges = git(repo.origin, "log", "--first-parent", "--format=%s", "main")
    numbers = re.findall(r"^Merge pull request #(\d+) ", merges, re.M)
    found += [f"PR #{n} was merged {numbers.count(n)} times" for n in set(numbers) if numbers.count(n) > 1]
    for sha in human_commits:
        if not git(repo.origin, "for-each-ref", "--contains", sha, "refs/heads/"):
            found.append(f"human commit {sha[:12]} is on no branch any more")
    if jobs is not None:
        found += dashboard_problems(repo, jobs)
    return found


def dashboard_problems(repo: Monorepo, jobs: int) -> list[str]:
    path = repo.work / ".git/upgrade-bot/forge/dashboard.md"
    if not path.exists():
        return []
    rows = [ROW.match(line) for line in path.read_text().splitlines()]
    keys = [(m.group(3), m.group(2)) for m in rows if m]
    problems = [f"dashboard: {k} listed {keys.count(k)} times" for k in set(keys) if keys.count(k) > 1]
    problems += [f"dashboard: unknown state {m.group(4).strip()!r}" for m in rows
                 if m and m.group(4).strip() not in STATES]
    if len(set(keys)) != jobs:
        problems.append(f"dashboard lists {len(set(keys))} jobs, the plan has {jobs}")
    return problems
