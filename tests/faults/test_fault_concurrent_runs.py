"""Fault 1: two runs at once. A lock per repository makes the second one stop with one line naming the
holder; a lock left by a killed run is taken over; a branch is deleted only with a lease on the exact
commit this run pushed."""
from __future__ import annotations

import json
import os
import socket
import time

import pytest
from conftest import git, run_bot
from faultkit import (alive, bot_process, children_of, finish, fleet, kill9, origin_branches, prs, violations,
                      wait_for, wait_until)

from bot.assemble import build_runner
from bot.change.recipe import load_recipes
from bot.cli import main
from bot.config import load_config
from bot.forge.local import LocalForge
from bot.gitops import GitRepo

pytestmark = pytest.mark.fault


def test_a_second_run_while_one_runs_exits_naming_the_holder(tmp_path):
    repo = fleet(tmp_path)
    hold = tmp_path / "hold"
    hold.write_text("")
    first = bot_process(repo, "run", "--skip-checks", env={"FAULT_HOLD": str(hold)})
    wait_for(tmp_path / "hold.held")  # the first run is inside its first job, holding the lock
    code, output = finish(bot_process(repo, "run", "--skip-checks"))
    assert code == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "another upgrade-bot run holds" in lines[0]
    assert f"pid {first.pid} on {socket.gethostname()}" in lines[0] and "upgrade-bot run" in lines[0]
    hold.unlink()
    assert finish(first)[0] == 0
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha", "upgrade-bot/widgets-2.0/beta"]
    assert violations(repo, jobs=2) == []


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    repo = fleet(tmp_path)
    hold = tmp_path / "hold"
    hold.write_text("")
    first = bot_process(repo, "run", "--skip-checks", env={"FAULT_HOLD": str(hold)})
    wait_for(tmp_path / "hold.held")
    workers = children_of(first.pid)
    assert workers  # the codemods run (and are held) in worker processes
    kill9(first)
    lock = repo.work / ".git/upgrade-bot/run.lock"
    assert json.loads(lock.read_text())["pid"] == first.pid  # the dead run's lock is still there
    wait_until(lambda: not any(alive(w) for w in workers))  # its workers died with it, held or not
    hold.unlink()
    assert run_bot(repo, "run") == 0
    assert not lock.exists()
    assert len(prs(repo)) == 2 and violations(repo, jobs=2) == []


def test_a_live_lock_of_another_host_is_respected(tmp_path, capsys):
    repo = fleet(tmp_path)
    lock = repo.work / ".git/upgrade-bot/run.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": 1, "host": "ci-runner-7", "command": "run", "started": time.time()}))
    assert run_bot(repo, "run") == 1
    assert "pid 1 on ci-runner-7" in capsys.readouterr().err
    assert prs(repo) == [] and lock.exists()


def test_read_only_commands_do_not_wait_for_the_lock(tmp_path, capsys):
    from bot.runlock import repo_lock
    repo = fleet(tmp_path)
    with repo_lock(repo.work / ".git/upgrade-bot", "run"):
        assert main(["--repo", str(repo.work), "status"]) == 0
        assert main(["--repo", str(repo.work), "plan"]) == 0
        assert main(["--repo", str(repo.work), "run", "--dry-run"]) == 0
        assert run_bot(repo, "run") == 1  # ourselves holding it: refused like any other holder
    assert "another upgrade-bot run holds" in capsys.readouterr().err


def test_a_run_that_lost_the_race_never_deletes_the_winners_branch(tmp_path, monkeypatch):
    """Two runners without a shared lock (two CI machines): both list the PRs before either opens one and
    build the same commit in the same second. The loser's push changes nothing, its PR is refused, and its
    cleanup must not delete the branch the winner's open PR stands on."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
    repo = fleet(tmp_path, names=("alpha",))
    clone = tmp_path / "second-runner"
    git(tmp_path, "clone", "-q", str(repo.origin), str(clone))
    config = load_config(repo.work)
    loser = build_runner(GitRepo(clone), LocalForge(repo.work / ".git/upgrade-bot"), config,
                         load_recipes(config.recipe_dirs, config.enabled_recipes), checks=True, skip_checks=True)
    plan, base_sha = loser.plan({})  # the loser looked before the winner pushed
    assert run_bot(repo, "run") == 0  # the winner
    branch = "upgrade-bot/widgets-2.0/alpha"
    pushed = origin_branches(repo)[branch]
    result = loser.run_job(plan.jobs[0], base_sha, None)
    assert result.status == "failed" and "already open" in result.message
    assert origin_branches(repo).get(branch) == pushed
    assert [p["state"] for p in prs(repo)] == ["open"] and violations(repo) == []


def test_a_branch_refused_in_a_shared_push_fails_its_job_alone(tmp_path, capsys):
    """Branches are pushed together, each on its own lease and not atomically: the remote refusing some
    (its `update` hook runs per branch) fails those jobs, each with git's reason about its own branch, no
    PR and no tracking ref, while the others get their PRs; the next run opens the missing ones."""
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"))
    hook = repo.origin / "hooks" / "update"
    hook.write_text('#!/bin/sh\ncase "$1" in */beta|*/gamma) echo "${1##*/} is frozen" >&2; exit 1;; esac\n')
    hook.chmod(0o755)
    assert run_bot(repo, "run") == 1
    out = capsys.readouterr().out.splitlines()
    for name, other in (("beta", "gamma"), ("gamma", "beta")):
        line = next(line for line in out if line.startswith(f"failed: widgets-2.0/{name}:"))
        assert f"hook declined to update refs/heads/upgrade-bot/widgets-2.0/{name}" in line, line
        # the remote's own words are shown (not attributable to a branch); git's lines about the other not
        assert f"{name} is frozen" in line and f"widgets-2.0/{other}" not in line, line
    assert sorted(origin_branches(repo)) == ["main", "upgrade-bot/widgets-2.0/alpha"]
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert git(repo.work, "for-each-ref", "refs/remotes/origin/upgrade-bot/") .split()[-1].endswith("/alpha")
    hook.unlink()
    assert run_bot(repo, "run") == 0
    assert sorted(p["head"] for p in prs(repo)) == [f"upgrade-bot/widgets-2.0/{n}" for n in ("alpha", "beta", "gamma")]
    assert violations(repo, jobs=3) == []
