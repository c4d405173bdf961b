"""Faults 4 and 5: kill -9 inside `local merge` after its push, and during validation. The next command
reconciles the PR from git (its head is in the base: it is merged) and prunes the worktree the killed
process left registered, and only that one."""
from __future__ import annotations

import pytest
from conftest import git, run_bot
from faultkit import KILL_AT, bot_process, finish, fleet, prs, violations, wait_for

from bot.cli import main

pytestmark = pytest.mark.fault

KILL_AFTER_PUSH = {KILL_AT: "merge-pushed"}


def test_merge_killed_after_its_push_is_reconciled_and_never_merged_twice(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UV_OFFLINE", "1")  # the revert below validates: no package here, the build fails at once
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "envs"))
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run") == 0
    code, _ = finish(bot_process(repo, "local", "merge", "1", env=KILL_AFTER_PUSH))
    assert code == -9
    merge = git(repo.origin, "rev-parse", "main")
    assert prs(repo)[0]["state"] == "open"  # the kill came between the push and the PR update
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status"]) == 0
    assert prs(repo)[0]["state"] == "merged" and prs(repo)[0]["merge_sha"] == merge
    assert "merged" in capsys.readouterr().out
    assert run_bot(repo, "local", "merge", "1") == 1  # merged: no second, empty merge commit
    assert git(repo.origin, "rev-parse", "main") == merge
    assert run_bot(repo, "revert", "--pr", "1") == 0
    assert [p["head"] for p in prs(repo)][-1] == "upgrade-bot/revert/widgets-2.0/alpha"
    assert violations(repo) == []


def test_a_second_merge_of_a_half_merged_pr_finishes_it(tmp_path):
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run") == 0
    assert finish(bot_process(repo, "local", "merge", "1", env=KILL_AFTER_PUSH))[0] == -9
    merge = git(repo.origin, "rev-parse", "main")
    # `local merge` itself reconciles first (its Context does not list PRs): it reports the merge
    assert run_bot(repo, "local", "merge", "1") == 0
    assert git(repo.origin, "rev-parse", "main") == merge
    assert prs(repo)[0]["state"] == "merged" and prs(repo)[0]["merge_sha"] == merge


HOLD_IN_WORKTREE = """
import os, pathlib, sys, time
from bot.gitops import GitRepo
repo = GitRepo(pathlib.Path(sys.argv[2]))
with repo.temporary_worktree(repo.remote_head("main")) as checkout:
    pathlib.Path(os.environ["FAULT_HOLD"] + ".held").write_text(str(checkout))
    time.sleep(60)
"""


def test_worktree_of_a_validation_killed_mid_way_is_pruned_and_the_users_are_kept(tmp_path):
    repo = fleet(tmp_path, names=("alpha",))
    git(repo.work, "fetch", "-q", "origin")
    git(repo.work, "worktree", "add", "-q", "--detach", str(tmp_path / "my-own-worktree"), "HEAD")
    git(repo.work, "worktree", "add", "-q", "--detach", str(tmp_path / "upgrade-bot-wt-mine"), "HEAD")
    # the bot's checkouts are made like the one validation keeps for its check runs (GitRepo.add_worktree)
    validation = bot_process(repo, preamble=HOLD_IN_WORKTREE, env={"FAULT_HOLD": str(tmp_path / "hold")})
    wait_for(tmp_path / "hold.held")
    left = (tmp_path / "hold.held").read_text()
    validation.kill()
    validation.wait()
    assert left in git(repo.work, "worktree", "list")
    assert run_bot(repo, "status") == 0
    listed = git(repo.work, "worktree", "list")
    assert left not in listed
    assert str(tmp_path / "my-own-worktree") in listed and str(tmp_path / "upgrade-bot-wt-mine") in listed
