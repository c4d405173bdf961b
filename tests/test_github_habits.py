"""Issue 18 item 5 on GitHub: the bot beside what people do there. "Update branch" is not human work,
reviewers are users and `org/team` checked by `plan` and requested so that one refusal never drops the
others, PRs open as drafts when asked, and `forge = "github"` never blocks a local `plan` or dry run.
Through bot.cli.main against the fake GitHub (real HTTP, real PyGithub, a real bare repository)."""
from __future__ import annotations

import logging

import pytest
from conftest import git
from test_github_flow import CONFIG, MAINTAINER_TOKEN, OWNER, REPO, REVIEWER, _world, branch_of

from bot.cli import main
from bot.publish.render import read_marker

TEAM = "platform"


def with_settings(settings: str) -> str:
    """The flow's config, its reviewers line replaced by `settings`."""
    line = f'reviewers = ["{REVIEWER}"]\n'
    assert line in CONFIG
    return CONFIG.replace(line, f"{settings}\n", 1)


@pytest.fixture
def world(tmp_path, monkeypatch):
    yield from _world(tmp_path, monkeypatch, ("alpha",))


def world_with(tmp_path, monkeypatch, settings: str):
    return _world(tmp_path, monkeypatch, ("alpha",), with_settings(settings))


def summary(capsys) -> str:
    out, err = capsys.readouterr()
    return out + err


# --- "Update branch": a merge of the base into the PR branch ------------------------------
def update_branch(world, pr_number: int):
    pr = world.gh.state.pull(pr_number)
    answer = world.as_person(MAINTAINER_TOKEN, "PUT", f"/pulls/{pr_number}/update-branch",
                             json={"expected_head_sha": pr.head_sha})
    assert answer.status_code == 202, answer.text
    return world.repo.origin_branch(pr.head)


def test_update_branch_is_kept_while_the_job_has_nothing_new(world, capsys):
    assert world.run() == 0
    pr = world.pr("alpha")
    world.repo.commit_on_main({"docs/elsewhere.md": "the base moved outside the service\n"})
    merged = update_branch(world, pr.number)
    assert git(world.repo.origin, "log", "-1", "--format=%an|%cn|%s", merged) == \
        f"mona|GitHub|Merge branch 'main' into {branch_of('alpha')}"
    world.gh.clear_requests()
    refs = world.repo.origin_refs()
    capsys.readouterr()
    assert world.run() == 0
    out = summary(capsys)
    assert "not made by the bot" not in out and "blocked" not in out
    assert " unchanged " in out
    assert world.repo.origin_refs() == refs  # no push: no CI re-run, no approval dismissed
    assert [w for w in world.writes() if "/pulls" in w[1]] == []  # the dashboard alone says the base moved
    assert world.pr("alpha").state == "open"


def test_update_branch_is_regenerated_over_when_the_service_changes(world, capsys):
    assert world.run() == 0
    pr = world.pr("alpha")
    world.repo.commit_on_main({"docs/elsewhere.md": "moved\n"})
    merged = update_branch(world, pr.number)
    new_main = world.repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    capsys.readouterr()
    assert world.run() == 0
    out = summary(capsys)
    assert "not made by the bot" not in out and " updated " in out
    head = world.repo.origin_branch(branch_of("alpha"))
    assert head != merged and git(world.repo.origin, "rev-parse", f"{head}^") == new_main  # one bot commit
    assert git(world.repo.origin, "log", "--format=%an", f"{new_main}..{head}") == "github-actions[bot]"
    updated = world.pr("alpha")
    assert updated.number == pr.number and updated.state == "open" and read_marker(updated.body)["base"] == new_main


def test_a_merge_that_changes_something_of_its_own_is_human_work(world, capsys):
    """Resolving a conflict, or editing while merging, is work a person did: kept, as before."""
    assert world.run() == 0
    branch = branch_of("alpha")
    world.repo.commit_on_main({"docs/elsewhere.md": "moved\n"})
    other = world.repo.work.parent / "merger"
    git(world.repo.work.parent, "clone", "-q", str(world.repo.origin), str(other))
    git(other, "checkout", "-q", "-B", branch, f"origin/{branch}")
    git(other, "merge", "-q", "--no-ff", "--no-commit", "origin/main")
    (other / "services/alpha/alpha/core.py").write_text("import widgets\n\n\ndef go():\n    return 2\n")
    git(other, "commit", "-qam", "Merge main, with a fix")
    git(other, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    world.repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    capsys.readouterr()
    assert world.run() == 0
    assert "commit(s) not made by the bot" in summary(capsys)


# --- reviewers: users and org/team ----------------------------------------------------------
def test_users_and_teams_are_requested_together(tmp_path, monkeypatch):
    for world in world_with(tmp_path, monkeypatch, f'reviewers = ["rita", "{OWNER}/{TEAM}"]'):
        world.gh.state.add_team(TEAM, permission="push")
        assert world.run() == 0
        pr = world.pr("alpha")
        assert pr.requested_reviewers == ["rita"] and pr.requested_teams == [TEAM]
        [request] = world.gh.requests_to("POST", r"/requested_reviewers$")
        assert request.body == {"reviewers": ["rita"], "team_reviewers": [TEAM]}


def test_one_refused_reviewer_never_drops_the_others(tmp_path, monkeypatch, caplog):
    """Checked by `plan`, then one loses access before the run: GitHub refuses the whole request, so the
    bot asks for each one apart and names the one refused."""
    for world in world_with(tmp_path, monkeypatch, f'reviewers = ["rita", "wendy", "{OWNER}/{TEAM}"]'):
        world.gh.state.add_team(TEAM, permission="push")
        assert world.cli("plan") == 0
        world.gh.add_user("wendy", "none")
        caplog.set_level(logging.WARNING)
        assert world.run() == 0
        pr = world.pr("alpha")
        assert pr.requested_reviewers == ["rita"] and pr.requested_teams == [TEAM]
        assert "wendy" in caplog.text and "Reviews may only be requested from collaborators" in caplog.text


@pytest.mark.parametrize("reviewers, reason", [
    ('["rita", "ghost"]', f"ghost is not a collaborator of {OWNER}/{REPO}: GitHub only asks people with access"),
    (f'["{OWNER}/nobody"]', f"team {OWNER}/nobody does not exist or has no access to {OWNER}/{REPO}"),
    (f'["{OWNER}/outsiders"]', f"team {OWNER}/outsiders does not exist or has no access to {OWNER}/{REPO}"),
    ('["elsewhere/platform"]', f"team elsewhere/platform is not a team of {OWNER}, which owns {OWNER}/{REPO}"),
], ids=["unknown-user", "unknown-team", "team-without-access", "team-of-another-org"])
def test_plan_refuses_a_reviewer_github_would_refuse_in_one_line(tmp_path, monkeypatch, capsys, reviewers, reason):
    for world in world_with(tmp_path, monkeypatch, f"reviewers = {reviewers}"):
        world.gh.state.add_team("outsiders", permission=None)
        capsys.readouterr()
        assert world.cli("plan") == 2
        out, err = capsys.readouterr()
        assert err.splitlines() == [f"upgrade-bot: error: upgrade-bot.toml: reviewers: {reason}"]
        assert world.writes() == []


@pytest.mark.parametrize("name", ["not a login", "-lead", "a/b/c", "acme/", "x" * 40])
def test_a_reviewer_that_cannot_be_a_github_name_is_refused_without_a_token(tmp_path, monkeypatch, capsys, name):
    for world in world_with(tmp_path, monkeypatch, f'reviewers = ["{name}"]'):
        monkeypatch.delenv("GITHUB_TOKEN")
        capsys.readouterr()
        assert world.cli("plan") == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith(f"upgrade-bot: error: upgrade-bot.toml: reviewers: {name!r} is not a GitHub ")


def test_plan_says_when_the_token_cannot_see_teams(tmp_path, monkeypatch, capsys):
    """GITHUB_TOKEN cannot read an organization's teams: that is not a wrong team, and plan goes on."""
    for world in world_with(tmp_path, monkeypatch, f'reviewers = ["rita", "{OWNER}/{TEAM}"]'):
        world.gh.state.add_team(TEAM, permission="push")
        world.gh.org_readers.clear()
        capsys.readouterr()
        assert world.cli("plan") == 0
        err = capsys.readouterr().err
        assert f"upgrade-bot: warning: upgrade-bot.toml: reviewers: cannot check team {OWNER}/{TEAM}" in err
        assert world.run() == 0 and world.pr("alpha").requested_teams == [TEAM]


# --- draft ----------------------------------------------------------------------------------
def test_draft_opens_draft_prs_and_never_flips_them_back(tmp_path, monkeypatch):
    for world in world_with(tmp_path, monkeypatch, "draft = true"):
        assert world.run() == 0
        pr = world.pr("alpha")
        assert pr.draft and world.gh.requests_to("POST", r"/pulls$")[0].body["draft"] is True
        world.gh.state.mark_ready(pr.number)  # a reviewer: "Ready for review"
        world.repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
        assert world.run() == 0
        assert world.pr("alpha").draft is False


def test_draft_falls_back_to_a_normal_pr_where_drafts_are_not_offered(tmp_path, monkeypatch):
    for world in world_with(tmp_path, monkeypatch, "draft = true"):
        world.gh.state.drafts_supported = False
        assert world.run() == 0
        assert world.pr("alpha").draft is False and world.pr("alpha").state == "open"


# --- forge = "github" on a laptop, without a token ------------------------------------------
@pytest.fixture
def laptop(tmp_path, monkeypatch):
    """forge = "github" in the config, and none of the Actions environment."""
    settings = f'forge = "github"\ngithub-repository = "{OWNER}/{REPO}"\nreviewers = ["rita"]'
    for world in world_with(tmp_path, monkeypatch, settings):
        for name in ("GITHUB_TOKEN", "UPGRADE_BOT_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL",
                     "UPGRADE_BOT_PUSH_URL"):
            monkeypatch.delenv(name, raising=False)
        yield world


def test_plan_needs_no_token(laptop, capsys):
    capsys.readouterr()
    assert main(["--repo", str(laptop.repo.work), "plan"]) == 0
    out, err = capsys.readouterr()
    assert "widgets-2.0" in out and "3 jobs in 3 waves" in out
    assert "pull requests were not read" in err and "reviewers were not checked" in err
    assert laptop.gh.requests == []


def test_a_dry_run_needs_no_token(laptop, capsys):
    refs = laptop.repo.origin_refs()
    capsys.readouterr()
    assert main(["--repo", str(laptop.repo.work), "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+widgets==2.0" in out and "widgets.new_call(1)" in out
    assert laptop.repo.origin_refs() == refs and laptop.gh.requests == []


def test_a_real_run_still_says_it_needs_a_token(laptop, capsys):
    capsys.readouterr()
    assert main(["--repo", str(laptop.repo.work), "run", "--skip-checks"]) != 0
    assert "no GitHub token" in capsys.readouterr().err
