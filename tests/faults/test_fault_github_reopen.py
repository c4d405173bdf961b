"""/retry on a pull request closed on GitHub reopens it, through the real PyGithub client against the fake
GitHub: GitHub refuses to reopen a PR whose head branch is gone, so the bot must push the regenerated
branch first, then reopen, and never open a second PR for the job."""
from __future__ import annotations

import pytest
from conftest import git
from test_github_flow import MAINTAINER_TOKEN, OWNER, RECIPE, REPO, branch_of, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault


@pytest.mark.parametrize("branch_deleted", [False, True], ids=["branch-kept", "branch-deleted"])
def test_retry_reopens_a_closed_pr_after_pushing_its_regenerated_branch(world, capsys, branch_deleted):  # noqa: F811
    assert world.run() == 0
    pr, branch = world.pr("alpha"), branch_of("alpha")
    closed = world.as_person(MAINTAINER_TOKEN, "PATCH", f"/pulls/{pr.number}", json={"state": "closed"})
    assert closed.status_code == 200 and world.pr("alpha").state == "closed"
    if branch_deleted:
        gone = world.as_person(MAINTAINER_TOKEN, "DELETE", f"/git/refs/heads/{branch}")
        assert gone.status_code == 204 and world.repo.origin_branch(branch) is None
    new_main = world.repo.commit_on_main({"docs/moved.md": "the base moved\n"})
    _, event = world.comment_event("wendy", pr.number, "/retry")
    world.gh.clear_requests()
    capsys.readouterr()
    assert world.command(event) == 0

    reopened = world.pr("alpha")
    head = world.repo.origin_branch(branch)
    assert reopened.number == pr.number and reopened.state == "open" and reopened.head_sha == head
    assert git(world.repo.origin, "rev-parse", f"{head}~1") == new_main
    assert [p.number for p in world.gh.pulls() if p.head == branch] == [pr.number]  # no second PR
    reply = (f"Regenerated `{branch}` from `main` at `{new_main[:12]}` with recipe `{RECIPE}`; "
             f"reopened this pull request.")
    assert world.replies(pr.number) == [reply] and reply in capsys.readouterr().out
    pull_path = f"/repos/{OWNER}/{REPO}/pulls/{pr.number}"
    assert (("PATCH", pull_path, 200) in world.writes()
            and not any(status >= 400 for _, _, status in world.writes()))  # the reopen was not refused
