"""GitHubForge through the real PyGithub client against the local fake GitHub (real HTTP, real bare repo)."""
from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest
import requests

from bot.forge.base import ForgeError
from bot.forge.github import BOT_EMAIL, BOT_NAME, GitHubForge
from bot.forge.github_retry import GitHubError, RetryPolicy
from fake_github import BOT_LOGIN, FakeGitHub, Fault

OWNER, REPO = "acme", "fleet"
FAST = RetryPolicy(max_attempts=4, max_wait=5.0, backoff=0.05, secondary_wait=0.2, write_spacing=0.0)


# --- fixtures ---------------------------------------------------------------------------
def _git(cwd: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "init.defaultBranch=main"]
    return subprocess.run(["git", *env_args, *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


class Remote:
    """A bare repository standing in for GitHub's copy, plus a clone to make branches with."""

    def __init__(self, root: Path) -> None:
        self.bare, self.work = root / "remote.git", root / "work"
        _git(root, "init", "--bare", "-b", "main", str(self.bare))
        _git(root, "clone", str(self.bare), str(self.work))
        (self.work / "README.md").write_text("fleet\n")
        _git(self.work, "add", ".")
        _git(self.work, "commit", "-m", "init")
        _git(self.work, "push", "origin", "main")

    def branch(self, name: str, content: str = "change\n") -> str:
        _git(self.work, "checkout", "-q", "-B", name, "origin/main")
        (self.work / f"{name.replace('/', '_')}.txt").write_text(content)
        _git(self.work, "add", ".")
        _git(self.work, "commit", "-m", f"work on {name}")
        _git(self.work, "push", "-f", "origin", name)
        return _git(self.work, "rev-parse", "HEAD")

    def sha(self, ref: str) -> str:
        return _git(self.bare, "rev-parse", ref)


class SleepRecorder:
    """Really sleeps (the waits are tiny) and remembers how long it was asked to."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path)


@pytest.fixture
def fake(remote: Remote):
    with FakeGitHub(remote.bare, OWNER, REPO) as gh:
        gh.add_user("alice", "write", token="alice-token")
        yield gh


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def make_forge(fake: FakeGitHub, sleeps=time.sleep, **kw) -> GitHubForge:
    options = {"policy": FAST, "read_spacing": 0, **kw}
    return GitHubForge(repo=f"{OWNER}/{REPO}", token=fake.token, api_url=fake.api_url, sleep=sleeps, **options)


@pytest.fixture
def forge(fake: FakeGitHub, sleeps: SleepRecorder) -> GitHubForge:
    return make_forge(fake, sleeps)


def open_sample(forge: GitHubForge, remote: Remote, branch: str = "upgrade-bot/tenacity/svc-a", **kw):
    remote.branch(branch)
    args = {"head": branch, "base": "main", "title": f"Upgrade {branch}", "body": "body <!-- upgrade-bot -->",
            "labels": ["dependencies", "upgrade-bot"], "reviewers": [], **kw}
    return forge.open_pr(**args)


def as_user(fake: FakeGitHub, token: str, method: str, path: str, **kw) -> requests.Response:
    """A person acting on the fake through the same REST API (merging, commenting)."""
    return requests.request(method, f"{fake.api_url}/repos/{OWNER}/{REPO}{path}",
                            headers={"Authorization": f"token {token}"}, timeout=10, **kw)


# --- pull requests ----------------------------------------------------------------------
def test_open_pr_creates_it_with_labels_and_reviewers(fake, forge, remote):
    pr = open_sample(forge, remote, reviewers=["alice"])
    assert (pr.number, pr.head, pr.base, pr.state) == (1, "upgrade-bot/tenacity/svc-a", "main", "open")
    assert pr.author == BOT_LOGIN and pr.labels == ["dependencies", "upgrade-bot"]
    assert pr.url.endswith(f"/{OWNER}/{REPO}/pull/1")
    stored = fake.state.pull(1)
    assert stored.labels == ["dependencies", "upgrade-bot"] and stored.requested_reviewers == ["alice"]
    assert stored.head_sha == remote.sha("upgrade-bot/tenacity/svc-a")
    assert len(fake.requests_to("POST", r"/pulls$")) == 1
    assert fake.requests_to("POST", r"/pulls$")[0].body == {
        "base": "main", "head": "upgrade-bot/tenacity/svc-a", "title": "Upgrade upgrade-bot/tenacity/svc-a",
        "body": "body <!-- upgrade-bot -->", "draft": False}


def test_find_pr_filters_by_owner_and_branch_in_any_state(fake, forge, remote):
    first = open_sample(forge, remote, "upgrade-bot/a")
    second = open_sample(forge, remote, "upgrade-bot/b")
    forge.close_pr(first.number)
    fake.clear_requests()
    found = forge.find_pr("upgrade-bot/a")
    assert found is not None and (found.number, found.state) == (first.number, "closed")
    assert forge.find_pr("upgrade-bot/b").number == second.number
    assert forge.find_pr("upgrade-bot/none") is None
    lookup = fake.requests_to("GET", r"/pulls$")[0]
    assert lookup.query["head"] == f"{OWNER}:upgrade-bot/a" and lookup.query["state"] == "all"


def test_find_pr_returns_the_newest_of_several(forge, remote):
    old = open_sample(forge, remote, "upgrade-bot/a")
    forge.close_pr(old.number)
    remote.branch("upgrade-bot/a", "second try\n")
    new = open_sample(forge, remote, "upgrade-bot/a")
    assert new.number != old.number
    assert forge.find_pr("upgrade-bot/a").number == new.number


def test_open_pr_again_updates_the_open_one_instead_of_duplicating(fake, forge, remote):
    pr = open_sample(forge, remote)
    again = forge.open_pr(head=pr.head, base="main", title="New title", body="new body", labels=["dependencies"],
                          reviewers=[])
    assert again.number == pr.number and (again.title, again.body) == ("New title", "new body")
    assert len(fake.pulls()) == 1 and len(fake.requests_to("POST", r"/pulls$")) == 1


def test_update_pr_sends_only_what_changed(fake, forge, remote):
    pr = open_sample(forge, remote)
    fake.clear_requests()
    same = forge.update_pr(pr.number, title=pr.title, body=pr.body, labels=pr.labels)
    assert same.title == pr.title
    assert not [r for r in fake.requests if r.method != "GET"], "an unchanged update must write nothing"
    changed = forge.update_pr(pr.number, body="fresh body")
    assert changed.body == "fresh body" and changed.title == pr.title
    assert [r.body for r in fake.requests_to("PATCH", r"/pulls/1$")] == [{"body": "fresh body"}]


def test_labels_become_exactly_the_wanted_ones_by_default(fake, forge, remote):
    pr = open_sample(forge, remote, labels=["dependencies", "checks-failing"])
    fake.state.add_labels(pr.number, ["do-not-merge"])
    updated = forge.update_pr(pr.number, labels=["dependencies", "not-validated"])
    assert sorted(updated.labels) == ["dependencies", "not-validated"]
    assert sorted(fake.state.pull(pr.number).labels) == ["dependencies", "not-validated"]


def test_managed_labels_leave_labels_people_added(fake, remote):
    forge = make_forge(fake, managed_labels={"dependencies", "checks-failing", "not-validated"})
    pr = open_sample(forge, remote, labels=["dependencies", "checks-failing"])
    fake.state.add_labels(pr.number, ["do-not-merge"])
    updated = forge.update_pr(pr.number, labels=["dependencies"])
    assert sorted(updated.labels) == ["dependencies", "do-not-merge"]
    assert sorted(fake.state.pull(pr.number).labels) == ["dependencies", "do-not-merge"]


def test_list_prs_follows_pagination_and_keeps_the_prefix_oldest_first(fake, remote):
    forge = make_forge(fake, per_page=2)
    numbers = [open_sample(forge, remote, f"upgrade-bot/svc-{i}").number for i in range(4)]
    open_sample(forge, remote, "feature/other")
    fake.clear_requests()
    listed = forge.list_prs("upgrade-bot/")
    assert [p.number for p in listed] == numbers
    pages = fake.requests_to("GET", r"/pulls$")
    assert len(pages) == 3 and {r.query.get("page") for r in pages} == {None, "2", "3"}


def test_merged_and_closed_states(fake, forge, remote):
    merged = open_sample(forge, remote, "upgrade-bot/a")
    closed = open_sample(forge, remote, "upgrade-bot/b")
    head_sha = remote.sha("upgrade-bot/a")
    response = as_user(fake, "alice-token", "PUT", f"/pulls/{merged.number}/merge", json={"sha": head_sha})
    assert response.status_code == 200, response.text
    forge.close_pr(closed.number)
    now_merged, now_closed = forge.get_pr(merged.number), forge.get_pr(closed.number)
    assert now_merged.state == "merged" and now_merged.merge_sha == remote.sha("main")
    assert _git(remote.bare, "rev-list", "--parents", "-n", "1", "main").split()[1:] == [
        remote.sha("main~1"), head_sha]  # a real two-parent merge commit on the bare repo
    assert now_closed.state == "closed" and now_closed.merge_sha is None
    assert [p.state for p in forge.list_prs("upgrade-bot/")] == ["merged", "closed"]


def test_draft_falls_back_when_the_plan_has_no_drafts(fake, forge, remote):
    fake.state.drafts_supported = False
    pr = open_sample(forge, remote, draft=True)
    assert pr.draft is False and len(fake.pulls()) == 1


def test_reviewer_who_is_not_a_collaborator_does_not_stop_the_pr(fake, forge, remote, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.forge.github"):
        pr = open_sample(forge, remote, reviewers=["stranger"])
    assert pr.state == "open" and fake.state.pull(pr.number).requested_reviewers == []
    assert "could not request reviewers stranger" in caplog.text


def test_pr_opened_meanwhile_by_someone_else_is_updated_not_duplicated(fake, forge, remote):
    remote.branch("upgrade-bot/a")
    as_user(fake, "alice-token", "POST", "/pulls", json={"head": "upgrade-bot/a", "base": "main", "title": "x"})
    # our lookup misses it (a stale read); the create then answers 422 "already exists"
    fake.inject(Fault("GET", r"/pulls$", 200, {}, []))
    pr = forge.open_pr(head="upgrade-bot/a", base="main", title="Ours", body="b", labels=[], reviewers=[])
    assert pr.number == 1 and pr.title == "Ours" and len(fake.pulls()) == 1


def test_body_over_githubs_limit_is_refused_before_any_request(fake, forge, remote):
    remote.branch("upgrade-bot/a")
    fake.clear_requests()
    with pytest.raises(ForgeError, match="at most 65536"):
        forge.open_pr(head="upgrade-bot/a", base="main", title="t", body="x" * 70_000, labels=[], reviewers=[])
    assert fake.requests == []


# --- comments, reactions, permissions ---------------------------------------------------
def test_comments_carry_user_and_type(fake, forge, remote):
    pr = open_sample(forge, remote)
    mine = forge.comment(pr.number, "Bot says hi")
    as_user(fake, "alice-token", "POST", f"/issues/{pr.number}/comments", json={"body": "/retry"})
    comments = forge.list_comments(pr.number)
    assert [(c.user, c.user_type, c.body) for c in comments] == [
        (BOT_LOGIN, "Bot", "Bot says hi"), ("alice", "User", "/retry")]
    assert comments[0].id == mine.id


def test_fake_hands_out_the_issue_comment_event_a_workflow_gets(fake, forge, remote):
    pr = open_sample(forge, remote)
    command = fake.comment_as("alice", pr.number, "/retry")
    event = fake.issue_comment_event(command.id)
    assert event["action"] == "created" and event["issue"]["number"] == pr.number
    assert event["issue"]["pull_request"]["url"].endswith(f"/pulls/{pr.number}")
    assert (event["comment"]["id"], event["comment"]["body"]) == (command.id, "/retry")
    assert event["comment"]["user"] == {**event["comment"]["user"], "login": "alice", "type": "User"}


def test_react_once_even_when_sent_twice(fake, forge, remote):
    pr = open_sample(forge, remote)
    command = fake.state.add_comment(pr.number, user="alice", body="/retry")
    forge.react(command.id, "eyes")
    forge.react(command.id, "eyes")
    forge.react(command.id, "+1")
    assert [(r.user, r.content) for r in fake.state.comment(command.id).reactions] == [
        (BOT_LOGIN, "eyes"), (BOT_LOGIN, "+1")]
    with pytest.raises(ForgeError, match="no reaction 'thumbsup'"):
        forge.react(command.id, "thumbsup")


def test_permission_comes_from_the_collaborator_api(fake, forge):
    for login, role in [("ada", "admin"), ("max", "maintain"), ("tri", "triage"), ("rex", "read"),
                        ("nobody", "none")]:
        fake.add_user(login, role)
    assert {u: forge.permission(u) for u in ("ada", "max", "alice", "tri", "rex", "nobody", "ghost")} == {
        "ada": "admin", "max": "maintain", "alice": "write", "tri": "triage", "rex": "read",
        "nobody": "none", "ghost": "none"}
    assert fake.requests_to("GET", r"/collaborators/ada/permission")


# --- checks -----------------------------------------------------------------------------
def test_checks_combine_check_runs_and_statuses(fake, forge, remote):
    sha = remote.branch("upgrade-bot/a")
    assert forge.checks(sha).state == "none"
    fake.state.add_check_run(sha, "tests", status="in_progress")
    assert forge.checks(sha).state == "pending"
    fake.state.add_check_run(sha, "tests", conclusion="success")
    fake.state.add_check_run(sha, "lint", conclusion="skipped")
    result = forge.checks(sha)
    assert result.state == "success" and sorted(result.details) == ["lint: skipped", "tests: success"]
    fake.state.add_status(sha, "legacy-ci", "pending")
    assert forge.checks(sha).state == "pending"
    fake.state.add_status(sha, "legacy-ci", "error")
    result = forge.checks(sha)
    assert result.state == "failure" and "legacy-ci: error" in result.details


def test_a_failed_check_run_fails_the_commit(fake, forge, remote):
    sha = remote.branch("upgrade-bot/a")
    fake.state.add_check_run(sha, "tests", conclusion="timed_out")
    fake.state.add_status(sha, "legacy-ci", "success")
    assert forge.checks(sha).state == "failure"


# --- lost answers: never a duplicate ----------------------------------------------------
def test_502_after_the_pr_was_created_finds_it_instead_of_creating_again(fake, forge, remote):
    fake.inject(Fault.bad_gateway("POST", r"/pulls$", after_acting=True))
    pr = open_sample(forge, remote, reviewers=["alice"])
    assert len(fake.pulls()) == 1 and pr.number == 1
    assert len(fake.requests_to("POST", r"/pulls$")) == 1
    assert fake.state.pull(1).labels == ["dependencies", "upgrade-bot"]  # the rest of open_pr still ran


def test_502_after_the_comment_was_posted_leaves_one_comment(fake, forge, remote):
    pr = open_sample(forge, remote)
    fake.inject(Fault.bad_gateway("POST", r"/issues/\d+/comments$", after_acting=True))
    posted = forge.comment(pr.number, "Overflow part 1")
    assert [c.body for c in fake.state.comments_of(pr.number)] == ["Overflow part 1"]
    assert posted.id == fake.state.comments_of(pr.number)[0].id
    assert len(fake.requests_to("POST", r"/comments$")) == 1


def test_502_before_acting_creates_once_after_looking(fake, forge, remote):
    pr = open_sample(forge, remote)
    fake.inject(Fault.bad_gateway("POST", r"/issues/\d+/comments$", after_acting=False))
    forge.comment(pr.number, "hello")
    assert [c.body for c in fake.state.comments_of(pr.number)] == ["hello"]
    kinds = [(r.method, r.status) for r in fake.requests if r.path.endswith("/comments")]
    assert kinds == [("POST", 502), ("GET", 200), ("POST", 201)]


def test_dashboard_issue_is_created_once_then_edited(fake, forge):
    fake.inject(Fault.bad_gateway("POST", r"/issues$", after_acting=True))
    url = forge.publish_dashboard("upgrade-bot dashboard", "v1")
    assert forge.publish_dashboard("upgrade-bot dashboard", "v2") == url
    assert url.endswith(f"/{OWNER}/{REPO}/issues/1")
    assert len(fake.requests_to("POST", r"/issues$")) == 1  # the 502 was not followed by a second create
    fake.clear_requests()
    forge.publish_dashboard("upgrade-bot dashboard", "v2")
    assert not [r for r in fake.requests if r.method != "GET"], "an unchanged dashboard must write nothing"
    fake.state.remove_label(1, "upgrade-bot")  # someone tidied the labels: still found by title
    forge.publish_dashboard("upgrade-bot dashboard", "v3")
    issues = fake.state.list_issues(state="all")
    assert len(issues) == 1 and issues[0].body == "v3"


# --- rate limits and retries ------------------------------------------------------------
def test_secondary_limit_with_retry_after_is_waited_out(fake, forge, remote, sleeps):
    open_sample(forge, remote)
    fake.inject(Fault.secondary_rate_limit("GET", r"/pulls$", retry_after=1))
    assert forge.find_pr("upgrade-bot/tenacity/svc-a").number == 1
    assert 1.0 in sleeps.waits
    assert [r.status for r in fake.requests_to("GET", r"/pulls$")][-2:] == [403, 200]


def test_secondary_limit_without_retry_after_backs_off(fake, forge, remote, sleeps):
    open_sample(forge, remote)
    fake.inject(Fault.secondary_rate_limit("GET", r"/pulls$", retry_after=None, times=2))
    assert forge.find_pr("upgrade-bot/tenacity/svc-a") is not None
    assert sleeps.waits[-2:] == [FAST.secondary_wait, FAST.secondary_wait * 2]


def test_429_on_a_write_is_retried(fake, forge, remote, sleeps):
    fake.inject(Fault.too_many_requests("POST", r"/issues/\d+/labels$", retry_after=1))
    pr = open_sample(forge, remote)
    assert fake.state.pull(pr.number).labels == ["dependencies", "upgrade-bot"]
    assert [r.status for r in fake.requests_to("POST", r"/labels$")] == [429, 200]


def test_500_on_a_list_is_retried(fake, forge, remote):
    open_sample(forge, remote)
    fake.inject(Fault.server_error("GET", r"/pulls$", times=2))
    assert [p.number for p in forge.list_prs("upgrade-bot/")] == [1]
    assert [r.status for r in fake.requests_to("GET", r"/pulls$")][-3:] == [500, 500, 200]


def test_patch_is_retried_unlike_pygithubs_default(fake, forge, remote):
    pr = open_sample(forge, remote)
    fake.inject(Fault.secondary_rate_limit("PATCH", r"/pulls/\d+$", retry_after=1))
    assert forge.update_pr(pr.number, title="Retitled").title == "Retitled"
    assert [r.status for r in fake.requests_to("PATCH", r"/pulls/1$")] == [403, 200]


def test_primary_limit_waits_for_the_reset(fake, forge, remote, sleeps):
    fake.inject(Fault.primary_rate_limit("GET", r"/pulls$", reset_in=0))
    assert forge.find_pr("nothing") is None
    assert 0 < sleeps.waits[-1] <= 2.0


def test_a_wait_longer_than_the_cap_fails_fast_and_says_when(fake, forge, sleeps):
    fake.inject(Fault.primary_rate_limit("GET", r"/pulls$", reset_in=3600))
    started = time.monotonic()
    with pytest.raises(GitHubError) as raised:
        forge.find_pr("upgrade-bot/a")
    assert time.monotonic() - started < 2 and sleeps.waits == []
    error = raised.value
    assert error.status == 403 and error.retry_at == pytest.approx(time.time() + 3601, abs=5)
    assert "retry after" in str(error) and "UTC" in str(error) and "more than the 5 s allowed" in str(error)


def test_retry_after_beyond_the_cap_fails_fast(fake, forge):
    fake.inject(Fault.secondary_rate_limit("POST", r"/comments$", retry_after=600))
    fake.state.create_issue(user="alice", title="an issue")
    with pytest.raises(GitHubError, match="wait 600 s"):
        forge.comment(1, "hello")


def test_persistent_5xx_gives_up_after_the_attempts(fake, forge):
    fake.inject(Fault.server_error("GET", r"/pulls$", times=10))
    with pytest.raises(GitHubError, match="after 4 attempts: 500"):
        forge.list_prs("upgrade-bot/")
    assert len(fake.requests_to("GET", r"/pulls$")) == FAST.max_attempts


def test_a_permission_403_is_not_retried(fake, forge, remote):
    remote.branch("upgrade-bot/a")
    fake.inject(Fault("POST", r"/pulls$", 403, {}, {
        "message": "GitHub Actions is not permitted to create or approve pull requests."}))
    with pytest.raises(GitHubError, match="not permitted to create") as raised:
        forge.open_pr(head="upgrade-bot/a", base="main", title="t", body="b", labels=[], reviewers=[])
    assert raised.value.status == 403 and len(fake.requests_to("POST", r"/pulls$")) == 1


def test_writes_are_spaced(fake, remote):
    forge = make_forge(fake, policy=RetryPolicy(write_spacing=0.3, backoff=0.05))
    pr = open_sample(forge, remote)  # POST pull, then POST labels
    forge.comment(pr.number, "one")
    writes = [r.at for r in fake.requests if r.method != "GET"]
    assert len(writes) == 3
    assert all(later - earlier >= 0.29 for earlier, later in zip(writes, writes[1:]))


# --- secrets ----------------------------------------------------------------------------
def test_token_never_reaches_errors_or_logs(fake, forge, remote, caplog):
    leak = {"message": f"Bad token {fake.token} in header Authorization: token {fake.token}"}
    fake.inject(Fault("POST", r"/pulls$", 422, {}, leak), Fault("GET", r"/pulls$", 502, {}, leak))
    remote.branch("upgrade-bot/a")
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub logs whole responses at DEBUG
    with caplog.at_level(logging.DEBUG):
        forge.find_pr("upgrade-bot/a")  # 502 with the token in the body, then retried
        with pytest.raises(ForgeError) as raised:
            forge.open_pr(head="upgrade-bot/a", base="main", title="t", body="b", labels=[], reviewers=[])
        logging.getLogger("bot.forge.github").warning("push url is %s", forge.push_url())
    assert fake.token not in str(raised.value) and "Bad token ***" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    requester_lines = [r.getMessage() for r in caplog.records if r.name == "github.Requester"]
    assert any("Bad token ***" in line for line in requester_lines)  # logged, but scrubbed
    assert any("push url is http://x-access-token:***@127.0.0.1" in r.getMessage() for r in caplog.records)
    assert fake.token not in caplog.text
    assert fake.token not in repr(forge)


def test_push_url_embeds_the_token_for_the_web_host():
    def url(api: str) -> str:
        return GitHubForge(repo="acme/fleet", token="ghs_abc/def", api_url=api).push_url()
    secret = "https://x-access-token:ghs_abc%2Fdef@"
    assert url("https://api.github.com") == secret + "github.com/acme/fleet.git"
    assert url("https://ghe.example.com/api/v3") == secret + "ghe.example.com/acme/fleet.git"
    assert url("https://api.octo.ghe.com") == secret + "octo.ghe.com/acme/fleet.git"


def test_identity_defaults_are_the_actions_bot():
    assert BOT_NAME == "github-actions[bot]"
    assert BOT_EMAIL == "41898282+github-actions[bot]@users.noreply.github.com"


# --- from_env ---------------------------------------------------------------------------
def test_from_env_enterprise_prefix_app_token_and_push_override(remote, monkeypatch, tmp_path):
    with FakeGitHub(remote.bare, OWNER, REPO, api_prefix="/api/v3") as ghe:
        ghe.tokens["app-installation-token"] = "upgrade-bot[bot]"
        ghe.add_user("upgrade-bot[bot]", "write", type="Bot")
        monkeypatch.setenv("GITHUB_REPOSITORY", f"{OWNER}/{REPO}")
        monkeypatch.setenv("GITHUB_TOKEN", "the-actions-token")
        monkeypatch.setenv("UPGRADE_BOT_TOKEN", "app-installation-token")
        monkeypatch.setenv("GITHUB_API_URL", ghe.api_url)
        monkeypatch.setenv("UPGRADE_BOT_PUSH_URL", str(remote.bare))
        monkeypatch.setenv("UPGRADE_BOT_WRITE_SPACING", "0")
        forge = GitHubForge.from_env(None, None, read_spacing=0)
        pr = open_sample(forge, remote)
        assert pr.author == "upgrade-bot[bot]"  # the App token won over GITHUB_TOKEN
        assert all(r.path.startswith(f"/repos/{OWNER}/{REPO}") for r in ghe.requests)
        assert forge.push_url() == str(remote.bare)


def test_from_env_prefers_the_configured_repository(monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "someone/else")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.delenv("UPGRADE_BOT_TOKEN", raising=False)
    monkeypatch.delenv("UPGRADE_BOT_PUSH_URL", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    forge = GitHubForge.from_env("acme/fleet", None)
    assert forge.push_url() == "https://x-access-token:t0ken@github.com/acme/fleet.git"


@pytest.mark.parametrize("env, message", [
    ({"GITHUB_REPOSITORY": ""}, "no GitHub repository"),
    ({"GITHUB_TOKEN": "", "UPGRADE_BOT_TOKEN": ""}, "no GitHub token"),
    ({"UPGRADE_BOT_MAX_WAIT": "soon"}, "UPGRADE_BOT_MAX_WAIT must be a number"),
])
def test_from_env_explains_what_is_missing(monkeypatch, env, message):
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/fleet")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ForgeError, match=message):
        GitHubForge.from_env(None, None)


# --- the fake behaves like GitHub where the bot depends on it ---------------------------
def test_fake_ignores_a_head_filter_without_owner_like_github(fake, forge, remote):
    open_sample(forge, remote, "upgrade-bot/a")
    open_sample(forge, remote, "upgrade-bot/b")
    bare = as_user(fake, "alice-token", "GET", "/pulls", params={"head": "upgrade-bot/a"}).json()
    owned = as_user(fake, "alice-token", "GET", "/pulls", params={"head": f"{OWNER}:upgrade-bot/a"}).json()
    assert len(bare) == 2 and [p["head"]["ref"] for p in owned] == ["upgrade-bot/a"]


def test_fake_merge_checks_the_expected_head(fake, forge, remote):
    pr = open_sample(forge, remote)
    stale = as_user(fake, "alice-token", "PUT", f"/pulls/{pr.number}/merge", json={"sha": "0" * 40})
    assert stale.status_code == 409
    squash = as_user(fake, "alice-token", "PUT", f"/pulls/{pr.number}/merge", json={"merge_method": "squash"})
    assert squash.status_code == 200 and squash.json()["sha"] == remote.sha("main")
    assert len(_git(remote.bare, "rev-list", "--parents", "-n", "1", "main").split()) == 2  # one parent
    assert as_user(fake, "alice-token", "PUT", f"/pulls/{pr.number}/merge").status_code == 405


def test_fake_rejects_unknown_tokens_and_closes_prs_of_deleted_branches(fake, forge, remote):
    pr = open_sample(forge, remote)
    assert as_user(fake, "wrong", "GET", "").status_code == 401
    assert as_user(fake, "alice-token", "DELETE", f"/git/refs/heads/{pr.head}").status_code == 204
    assert forge.get_pr(pr.number).state == "closed"
    reopen = as_user(fake, "alice-token", "PATCH", f"/pulls/{pr.number}", json={"state": "open"})
    assert reopen.status_code == 422
