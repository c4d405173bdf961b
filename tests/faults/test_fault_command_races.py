"""Comment commands run in concurrency groups of their own on GitHub (none is dropped), so a command can
run beside the rollout or another command. Every push is leased on the commit the bot read: the writer
that comes second is refused, changes nothing, and tells the commenter."""
from __future__ import annotations

import pytest
from conftest import run_bot
from faultkit import HOLD_BEFORE_PUSH, bot_process, finish, fleet, origin_branches, prs, violations, wait_for

from bot.forge.local import LocalForge

pytestmark = pytest.mark.fault


def test_a_retry_whose_branch_moves_before_its_push_is_refused_and_says_so(tmp_path):
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run", "--skip-checks") == 0
    branch = "upgrade-bot/widgets-2.0/alpha"
    repo.commit_on_main({"docs/moved.md": "the base moved\n"})  # the /retry has work to do
    hold = tmp_path / "push-hold"
    hold.write_text("")
    command = bot_process(repo, "local", "comment", "1", "/retry", preamble=HOLD_BEFORE_PUSH,
                          env={"FAULT_PUSH_HOLD": str(hold)})
    wait_for(hold.with_name("push-hold.held"), timeout=60)
    # meanwhile another writer (the rollout, a second command, a person) moves the branch
    moved = repo.push_commit(branch, {"services/alpha/NOTES.md": "pushed meanwhile\n"}, "meanwhile")
    hold.unlink()
    code, output = finish(command)
    assert code == 1 and "the branch moved on the remote while the bot worked" in output
    assert origin_branches(repo)[branch] == moved  # the lease kept the other writer's commit
    replies = [c.body for c in LocalForge(repo.work / ".git/upgrade-bot").list_comments(1) if c.body != "/retry"]
    assert len(replies) == 1 and replies[0].startswith("`/retry` stopped: ")
    assert "Comment it again" in replies[0]
    assert [p["state"] for p in prs(repo)] == ["open"] and violations(repo, {moved}) == []

