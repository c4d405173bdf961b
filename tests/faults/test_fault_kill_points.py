"""kill -9 at named points of a real run (`UPGRADE_BOT_KILL_AT=<point>[:<n>]`, bot/killpoints.py): after
planning, mid-job, during validation, after the commit, between a push and its PRs, between two PRs, before
the dashboard; and inside `/retry` and `/revert` after their push (`local merge`: test_fault_killed_processes).
The next command repairs what the kill left, and the invariants hold."""
from __future__ import annotations

import pytest
from conftest import git, run_bot
from faultkit import KILL_AT, bot_process, finish, fleet, origin_branches, prs, violations

from bot.killpoints import POINTS

pytestmark = pytest.mark.fault

BRANCHES = {"upgrade-bot/widgets-2.0/alpha", "upgrade-bot/widgets-2.0/beta"}
RUN_POINTS = ("planned", "migrated", "committed", "pushed", "pr-opened", "dashboard")


def killed(repo, *args: str, at: str, env: dict | None = None) -> str:
    code, output = finish(bot_process(repo, *args, env={KILL_AT: at, **(env or {})}))
    assert code == -9, f"the kill at {at} never came: {output}"
    return output


def test_every_point_is_named_and_described():
    assert set(RUN_POINTS) | {"validating", "merge-pushed", "retry-pushed", "revert-pushed"} == set(POINTS)
    assert all(text for text in POINTS.values())


def test_a_run_killed_between_its_push_and_its_prs_leaves_branches_the_next_run_takes_over(tmp_path, capsys):
    """The README's crash claim: killed after `git push`, before any PR: the branches are on origin with
    no PR; the next run takes them over (each push leased on the commit the killed run left) and opens."""
    repo = fleet(tmp_path)
    killed(repo, "run", "--skip-checks", at="pushed")
    left = origin_branches(repo)
    assert set(left) == {"main", *BRANCHES} and prs(repo) == []
    capsys.readouterr()
    assert run_bot(repo, "run") == 0
    assert sorted(p["head"] for p in prs(repo)) == sorted(BRANCHES)
    assert {p["state"] for p in prs(repo)} == {"open"}
    now = origin_branches(repo)
    for branch in BRANCHES:  # the killed run's commit is this run's parent's tip, or was replaced by a lease
        assert git(repo.origin, "rev-parse", f"{now[branch]}^") == left["main"]
    assert violations(repo, jobs=2) == []
    refs = repo.origin_refs()
    assert run_bot(repo, "run") == 0 and repo.origin_refs() == refs and len(prs(repo)) == 2


def test_a_run_killed_between_two_prs_opens_the_rest_next_time(tmp_path):
    repo = fleet(tmp_path)
    killed(repo, "run", "--skip-checks", at="pr-opened")
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert set(origin_branches(repo)) == {"main", *BRANCHES}
    assert run_bot(repo, "run") == 0
    assert sorted(p["head"] for p in prs(repo)) == sorted(BRANCHES) and violations(repo, jobs=2) == []


@pytest.mark.parametrize("point", ["planned", "migrated", "committed", "dashboard"])
def test_a_run_killed_before_or_after_its_effects_is_finished_by_the_next(tmp_path, point):
    repo = fleet(tmp_path)
    killed(repo, "run", "--skip-checks", at=point)
    pushed = set(origin_branches(repo)) - {"main"}
    assert pushed == (BRANCHES if point == "dashboard" else set())  # no half-made branch before the push
    assert run_bot(repo, "run") == 0
    assert sorted(p["head"] for p in prs(repo)) == sorted(BRANCHES) and violations(repo, jobs=2) == []
    assert (repo.work / ".git/upgrade-bot/forge/dashboard.md").exists()


def test_a_run_killed_after_its_commits_leaves_no_ref_to_a_missing_object(tmp_path):
    """The commits a run makes stay in its memory until its push (bot.gitops.GitRepo): killed before, they are
    lost, and nothing names them."""
    repo = fleet(tmp_path)
    killed(repo, "run", "--skip-checks", at="committed:2")
    for where in (repo.work, repo.origin):
        git(where, "fsck", "--strict", "--no-dangling")  # every ref, reflog and index entry has its objects
    assert set(origin_branches(repo)) == {"main"}


def test_a_run_killed_during_validation_leaves_no_branch_and_no_checkout(tmp_path, offline):
    """Validation runs in a temporary checkout before anything is pushed: killed there, nothing is on
    origin, and the next command removes the checkout the dead process left registered."""
    repo = fleet(tmp_path, names=("alpha",))
    killed(repo, "run", at="validating", env=offline)
    assert set(origin_branches(repo)) == {"main"} and prs(repo) == []
    assert "upgrade-bot-wt-" in git(repo.work, "worktree", "list")
    assert run_bot(repo, "run") == 0
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert "upgrade-bot-wt-" not in git(repo.work, "worktree", "list")
    assert violations(repo, jobs=1) == []


@pytest.fixture
def offline(tmp_path, monkeypatch) -> dict:
    """/retry and /revert validate: the widgets world has no package, so the env build fails at once, offline."""
    env = {"UV_OFFLINE": "1", "UPGRADE_BOT_CACHE": str(tmp_path / "envs")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_retry_killed_after_its_push_is_finished_by_a_second_retry(tmp_path, offline):
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run") == 0
    repo.commit_on_main({"services/alpha/alpha/extra.py": "X = 1\n"})
    killed(repo, "local", "comment", "1", "/retry", at="retry-pushed", env=offline)
    assert run_bot(repo, "local", "comment", "1", "/retry") == 0
    [pr] = prs(repo)
    head = origin_branches(repo)["upgrade-bot/widgets-2.0/alpha"]
    assert pr["state"] == "open" and git(repo.origin, "rev-parse", f"{head}^") == origin_branches(repo)["main"]
    assert violations(repo, jobs=1) == []


def test_revert_killed_after_its_push_is_opened_by_the_next_revert(tmp_path, offline):
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run") == 0
    assert run_bot(repo, "local", "merge", "1") == 0
    killed(repo, "revert", "--pr", "1", at="revert-pushed", env=offline)
    assert "upgrade-bot/revert/widgets-2.0/alpha" in origin_branches(repo) and len(prs(repo)) == 1
    assert run_bot(repo, "revert", "--pr", "1") == 0
    assert [p["head"] for p in prs(repo)][-1] == "upgrade-bot/revert/widgets-2.0/alpha"
    assert violations(repo) == []
