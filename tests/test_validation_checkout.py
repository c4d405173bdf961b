"""Where check runs happen: one checkout of the whole repository per validator, switched to each commit it
tests, exactly that commit's tree each time (whatever a check wrote, changed or left behind is gone)."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import Monorepo, git

from bot.config import load_config
from bot.gitops import GitRepo
from bot.validation.runner import CheckRunner, CheckValidator

# A check that says where it ran and what it found, then dirties its checkout as test suites do: an untracked file,
# a tracked file changed, a cache folder, a file outside its service, an ignored build folder.
PROBE = '''import json, os, pathlib
here = pathlib.Path.cwd()
root = here.parent.parent
seen = {{"root": str(root.resolve()), "data": (here / "data.txt").read_text(),
        "shared": (root / "shared" / "fixture.json").read_text(),
        "leftovers": sorted(str(p.relative_to(root)) for p in root.rglob("*")
                            if p.name in ("leftover.txt", "build", "__pycache__", "outside.txt"))}}
with open({log!r}, "a") as log:
    log.write(json.dumps(seen) + "\\n")
(here / "leftover.txt").write_text("x")
(here / "data.txt").write_text("changed by the check")
(here / "__pycache__").mkdir(exist_ok=True)
(here / "build").mkdir(exist_ok=True)
(root / "outside.txt").write_text("x")
'''


def _repo(tmp_path: Path) -> Monorepo:
    log = tmp_path / "probe.log"
    files = {"upgrade-bot.toml": '[[checks]]\nname = "probe"\ncommand = ["{python}", "probe.py"]\n',
             ".gitignore": "build/\n",
             "shared/fixture.json": "{}\n"}
    for name in ("alpha", "beta"):
        files.update({f"services/{name}/requirements.txt": "# nothing to install\n",
                      f"services/{name}/probe.py": PROBE.format(log=str(log)),
                      f"services/{name}/data.txt": f"{name} on the base\n"})
    (tmp_path / "repo").mkdir()
    return Monorepo(tmp_path / "repo", files)


def test_check_runs_share_one_checkout_switched_to_exactly_each_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "envs"))
    repo = _repo(tmp_path)
    base = git(repo.work, "rev-parse", "HEAD")
    branch = repo.push_commit("upgrade-bot/x", {"services/alpha/data.txt": "alpha on the branch\n"}, start="main")
    git(repo.work, "fetch", "-q", "origin")
    checks = CheckRunner(GitRepo(repo.work), load_config(repo.work))
    checks.results("alpha", "services/alpha", branch)
    checks.results("alpha", "services/alpha", base)
    checks.results("beta", "services/beta", base)
    seen = [json.loads(line) for line in (tmp_path / "probe.log").read_text().splitlines()]
    assert [s["data"] for s in seen] == ["alpha on the branch\n", "alpha on the base\n", "beta on the base\n"]
    assert len({s["root"] for s in seen}) == 1  # one checkout, not one per check run
    assert all(s["leftovers"] == [] and s["shared"] == "{}\n" for s in seen), seen  # the whole tree, and only it
    CheckValidator(checks).finish()  # the end of a run: the checkout goes
    assert seen[0]["root"] not in git(repo.work, "worktree", "list") and not Path(seen[0]["root"]).exists()
