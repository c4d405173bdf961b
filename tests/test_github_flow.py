"""The bot end to end on GitHub: `upgrade-bot --forge github` through bot.cli.main, configured only by the
environment a workflow would give it, against the fake GitHub (real HTTP on 127.0.0.1). The monorepo's bare
origin is the fake's repository too, so the bot's pushes land where the fake reads branches and merges."""
from __future__ import annotations

import json
import logging
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import requests
from conftest import WIDGETS_CONFIG, Monorepo, git, widgets_service

from bot.cli import main
from bot.forge.github import BOT_EMAIL, BOT_NAME
from bot.publish.render import read_marker
from fake_github import BOT_LOGIN, FakeGitHub, Fault

OWNER, REPO = "acme", "fleet"
RECIPE = "widgets-2.0"
LOW_SERVICES = ("alpha", "bravo", "charlie")  # wave 1 of the `wave_world` fixture; `world` has only alpha
LATER_SERVICES = ("beta", "gamma")  # medium and critical: later waves
REVIEWER = "rita"
assert "[tiers]\n" in WIDGETS_CONFIG
CONFIG = WIDGETS_CONFIG.replace(
    "[tiers]\n", f'reviewers = ["{REVIEWER}"]\n\n[tiers]\nbravo = "low"\ncharlie = "low"\n')
RUN_LABELS = ["dependencies", "upgrade-bot", "not-validated"]  # --skip-checks labels PRs not-validated
MAINTAINER_TOKEN = "mona-token"


def branch_of(service: str) -> str:
    return f"upgrade-bot/{RECIPE}/{service}"


class GitHubWorld:
    """The monorepo, the fake GitHub serving its origin, and the CLI pointed at both."""

    def __init__(self, repo: Monorepo, gh: FakeGitHub, tmp: Path, low_services: tuple[str, ...]) -> None:
        self.repo, self.gh, self.tmp, self.low_services = repo, gh, tmp, low_services
        self.push_log = repo.origin / "pushes.log"
        hook = repo.origin / "hooks" / "pre-receive"
        # receive-pack runs this for every push that updates a ref: proof of "pushed nothing"
        hook.write_text(f'#!/bin/sh\ncat >> "{self.push_log}"\n')
        hook.chmod(0o755)
        self.push_log.write_text("")

    # --- the CLI ----------------------------------------------------------------------------
    def cli(self, *args: str) -> int:
        return main(["--repo", str(self.repo.work), "--forge", "github", *args])

    def run(self) -> int:
        return self.cli("run", "--skip-checks")

    def comment_event(self, user: str, number: int, body: str) -> tuple[int, Path]:
        """`user` comments on #number; returns the comment id and the event file a workflow would get."""
        comment = self.gh.comment_as(user, number, body)
        path = self.tmp / f"event-{comment.id}.json"
        path.write_text(json.dumps(self.gh.issue_comment_event(comment.id)))
        return comment.id, path

    def command(self, event: Path) -> int:
        return self.cli("command", "--event", str(event))

    # --- what the fake and the bare repo hold ---------------------------------------------
    def pr(self, service: str):
        found = [p for p in self.gh.pulls() if p.head == branch_of(service)]
        assert len(found) == 1, f"{len(found)} PRs for {service}"
        return found[0]

    def replies(self, number: int) -> list[str]:
        return [c.body for c in self.gh.state.comments_of(number) if c.user == BOT_LOGIN]

    def writes(self) -> list[tuple[str, str, int]]:
        return [(r.method, r.path, r.status) for r in self.gh.requests if r.method != "GET"]

    def main_sha(self) -> str:
        return git(self.repo.origin, "rev-parse", "main")

    def pushes(self) -> str:
        return self.push_log.read_text()

    def assert_one_pr_per_job(self) -> None:
        pulls = self.gh.pulls()
        assert Counter(p.head for p in pulls) == Counter(branch_of(s) for s in self.low_services)
        for service in self.low_services:
            pr = self.pr(service)
            assert pr.state == "open" and pr.head_sha == self.repo.origin_branch(branch_of(service))
            assert pr.labels == RUN_LABELS and pr.requested_reviewers == [REVIEWER]
            assert (read_marker(pr.body) or {}).get("base") == self.main_sha()

    # --- people acting on the repository --------------------------------------------------
    def push_human_commit(self, branch: str, files: dict[str, str], message: str, start: str | None = None) -> str:
        return self.repo.push_commit(branch, files, message, start)

    def as_person(self, token: str, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.gh.api_url}/repos/{OWNER}/{REPO}{path}",
                                headers={"Authorization": f"token {token}"}, timeout=10, **kw)


def _world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, low_services: tuple[str, ...], config: str = CONFIG):
    files = {"upgrade-bot.toml": config, "README.md": "fleet\n"}
    for name in (*low_services, *LATER_SERVICES):
        files.update(widgets_service(name))
    repo = Monorepo(tmp_path, files)
    with FakeGitHub(repo.origin, OWNER, REPO) as gh:
        gh.add_user(REVIEWER, "write")
        gh.add_user("wendy", "write")
        gh.add_user("rex", "read")
        gh.add_user("mona", "maintain", token=MAINTAINER_TOKEN)
        for name, value in {
            "GITHUB_REPOSITORY": f"{OWNER}/{REPO}", "GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.api_url,
            "UPGRADE_BOT_PUSH_URL": str(repo.origin), "UPGRADE_BOT_WRITE_SPACING": "0",
            "UPGRADE_BOT_MAX_WAIT": "3",  # above the 2 s first backoff after a 5xx, so those are retried
            # /retry validates for real; the widgets world has no package, so the env build fails at once,
            # offline, into a throwaway cache
            "UV_OFFLINE": "1", "UPGRADE_BOT_CACHE": str(tmp_path / "envs"), "GIT_TERMINAL_PROMPT": "0",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("UPGRADE_BOT_TOKEN", raising=False)
        # PyGithub's 0.25 s between reads is politeness toward api.github.com and no environment variable sets
        # it; kept, it makes this file take ~50 s instead of ~15 s
        monkeypatch.setenv("UPGRADE_BOT_READ_SPACING", "0")
        yield GitHubWorld(repo, gh, tmp_path, low_services)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One PR in the first wave: enough for the comment commands."""
    yield from _world(tmp_path, monkeypatch, ("alpha",))


@pytest.fixture
def wave_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Several PRs in the first wave."""
    yield from _world(tmp_path, monkeypatch, LOW_SERVICES)


# --- 1. a full run, then a re-run that writes nothing -------------------------------------
def test_run_opens_the_first_wave_and_a_rerun_writes_nothing(wave_world, capsys):
    base = wave_world.main_sha()
    assert wave_world.run() == 0
    wave_world.assert_one_pr_per_job()
    for service in LOW_SERVICES:
        pr, branch = wave_world.pr(service), branch_of(service)
        assert (pr.user, pr.base, pr.title) == (BOT_LOGIN, "main", f"chore(deps): upgrade widgets to 2.0 in {service}")
        meta = read_marker(pr.body)
        assert meta.pop("change") and meta.pop("inputs") and meta.pop("tree") and meta.pop("recipe_inputs")
        assert meta == {"recipe": RECIPE, "version": "2.0", "service": service,
                        "job": f"{RECIPE}/{service}", "path": f"services/{service}", "base": base}
        origin, head = wave_world.repo.origin, wave_world.repo.origin_branch(branch)
        assert git(origin, "log", "--format=%P|%an|%ae", "-n1", head) == f"{base}|{BOT_NAME}|{BOT_EMAIL}"
        assert "widgets.new_call(1)" in git(origin, "show", f"{head}:services/{service}/{service}/core.py")
        assert "widgets==2.0" in git(origin, "show", f"{head}:services/{service}/requirements.txt")
    assert not [p for p in wave_world.gh.pulls() if p.head in (branch_of("beta"), branch_of("gamma"))]
    dashboards = [i for i in wave_world.gh.state.list_issues(state="all") if not i.is_pull]
    assert len(dashboards) == 1 and "upgrade-bot" in dashboards[0].labels
    assert all(f"[#{wave_world.pr(s).number}]" in dashboards[0].body for s in LOW_SERVICES)
    assert len(wave_world.pushes().splitlines()) == len(LOW_SERVICES)

    wave_world.gh.clear_requests()
    refs, pushes = wave_world.repo.origin_refs(), wave_world.pushes()
    capsys.readouterr()
    assert wave_world.run() == 0
    assert wave_world.writes() == [] and wave_world.gh.requests, "the re-run read GitHub but must write nothing"
    assert wave_world.pushes() == pushes and wave_world.repo.origin_refs() == refs
    assert capsys.readouterr().out.count(" unchanged ") == len(LOW_SERVICES)


# --- 2. faults during a run ---------------------------------------------------------------
FAULTS = [
    pytest.param(False, lambda: Fault.bad_gateway("POST", r"/pulls$", after_acting=True), 502,
                 id="502-after-the-create-pr-acted"),
    pytest.param(False, lambda: Fault.too_many_requests("POST", r"/pulls$", retry_after=1), 429,
                 id="429-on-create-pr"),
    pytest.param(True, lambda: Fault.secondary_rate_limit("PATCH", r"/pulls/\d+$", retry_after=1), 403,
                 id="403-secondary-limit-on-patch"),
    pytest.param(True, lambda: Fault.server_error("GET", r"/pulls$"), 500, id="500-on-the-pulls-list"),
]


@pytest.mark.parametrize("base_moves, make_fault, status", FAULTS)
def test_a_fault_during_a_run_leaves_exactly_one_pr_per_job(wave_world, base_moves, make_fault, status):
    if base_moves:  # PRs exist and must be updated in place: the run PATCHes them
        assert wave_world.run() == 0
        wave_world.repo.commit_on_main({f"services/{s}/NOTES.md": "the base moved here\n" for s in LOW_SERVICES})
    wave_world.gh.clear_requests()
    wave_world.gh.inject(make_fault())
    assert wave_world.run() == 0
    assert [r.status for r in wave_world.gh.requests if r.faulted] == [status] and not wave_world.gh.faults
    wave_world.assert_one_pr_per_job()
    if base_moves:  # every PR was updated in place, the faulted PATCH once more
        patches = [code for method, path, code in wave_world.writes() if method == "PATCH" and "/pulls/" in path]
        assert patches == [403] * (status == 403) + [200] * len(LOW_SERVICES)
    wave_world.gh.clear_requests()
    assert wave_world.run() == 0 and wave_world.writes() == []  # what the faulted run left is consistent


# --- 3. /retry by a writer ----------------------------------------------------------------
def test_retry_by_a_writer_keeps_the_human_commit_on_the_moved_base(world, capsys):
    assert world.run() == 0
    pr = world.pr("alpha")
    branch = branch_of("alpha")
    human = world.push_human_commit(branch, {"services/alpha/NOTES.md": "checked by hand\n"}, "fix by hand")
    new_main = world.repo.commit_on_main({"docs/moved.md": "the base moved\n"})
    comment_id, event = world.comment_event("wendy", pr.number, "/retry")
    capsys.readouterr()
    assert world.command(event) == 0

    head = world.repo.origin_branch(branch)
    log = git(world.repo.origin, "log", "--format=%an|%s", f"{new_main}..{head}").splitlines()
    assert log == ["Dana Human|fix by hand", f"{BOT_NAME}|chore(deps): upgrade widgets to 2.0 in alpha"]
    assert git(world.repo.origin, "rev-parse", f"{head}~2") == new_main and head != human
    assert git(world.repo.origin, "show", f"{head}:services/alpha/NOTES.md") == "checked by hand"
    assert "widgets.new_call(1)" in git(world.repo.origin, "show", f"{head}:services/alpha/alpha/core.py")
    assert [(r.user, r.content) for r in world.gh.state.comment(comment_id).reactions] == [(BOT_LOGIN, "eyes")]
    reply = (f"Regenerated `{branch}` from `main` at `{new_main[:12]}` with recipe `{RECIPE}` "
             f"and replayed 1 commit(s) pushed by humans on top.")
    assert world.replies(pr.number) == [reply] and reply in capsys.readouterr().out
    updated = world.pr("alpha")
    assert read_marker(updated.body)["base"] == new_main and updated.head_sha == head
    assert [p.number for p in world.gh.pulls() if p.head == branch] == [pr.number]


def test_retry_relabels_the_pr_from_its_new_validation(world):
    assert world.run() == 0
    pr = world.pr("alpha")
    _, event = world.comment_event("wendy", pr.number, "/retry")
    assert world.command(event) == 0
    updated = world.pr("alpha")
    assert "Could not validate" in updated.body  # validation ran (and failed: no widgets package offline)
    assert updated.labels == ["dependencies", "upgrade-bot", "not-validated"]  # never checks-failing


# --- 4. /retry by a reader ----------------------------------------------------------------
def test_retry_by_a_reader_is_refused_and_changes_nothing(world):
    assert world.run() == 0
    world.repo.commit_on_main({"docs/moved.md": "the base moved\n"})  # a retry would have work to do
    pr = world.pr("alpha")
    refs, pushes, body = world.repo.origin_refs(), world.pushes(), pr.body
    comment_id, event = world.comment_event("rex", pr.number, "/retry")
    world.gh.clear_requests()
    assert world.command(event) == 0
    assert world.replies(pr.number) == [
        "@rex: `/retry` needs write access to this repository (you have `read`). Nothing was changed."]
    assert world.writes() == [("POST", f"/repos/{OWNER}/{REPO}/issues/{pr.number}/comments", 201)]
    assert world.repo.origin_refs() == refs and world.pushes() == pushes
    assert world.pr("alpha").body == body and world.gh.state.comment(comment_id).reactions == []


# --- 5. /revert ---------------------------------------------------------------------------
def test_revert_of_a_pr_merged_on_github_is_the_exact_inverse(world):
    assert world.run() == 0
    pr = world.pr("alpha")
    before = world.main_sha()
    merge = world.as_person(MAINTAINER_TOKEN, "PUT", f"/pulls/{pr.number}/merge", json={"sha": pr.head_sha})
    assert merge.status_code == 200, merge.text
    merged = world.main_sha()
    assert merged == merge.json()["sha"] and git(world.repo.origin, "rev-parse", f"{merged}^2") == pr.head_sha
    _, event = world.comment_event("wendy", pr.number, "/revert")
    assert world.command(event) == 0

    revert_branch = f"upgrade-bot/revert/{RECIPE}/alpha"
    [revert] = [p for p in world.gh.pulls() if p.head == revert_branch]
    head = world.repo.origin_branch(revert_branch)
    assert revert.state == "open" and revert.base == "main" and revert.head_sha == head
    assert git(world.repo.origin, "rev-parse", f"{head}^") == merged
    forward = git(world.repo.origin, "diff", before, merged)
    assert forward and git(world.repo.origin, "diff", head, merged) == forward  # the inverse, exactly
    assert git(world.repo.origin, "diff", before, head) == ""
    assert revert.title == f"Revert: {pr.title}" and f"Reverts #{pr.number} " in revert.body
    assert merged in revert.body and read_marker(revert.body)["revert_of"] == pr.number
    # validated like any PR: here the env build fails offline, so it says it could not validate
    assert "Could not validate" in revert.body
    assert revert.labels == ["dependencies", "upgrade-bot", "not-validated", "revert"]  # never checks-failing
    assert revert.requested_reviewers == [REVIEWER]
    assert world.replies(pr.number) == [
        f"Opened #{revert.number} to revert this PR (`git revert -m 1 {merged[:12]}`)."]

    _, again = world.comment_event("wendy", pr.number, "/revert")
    assert world.command(again) == 0
    assert world.replies(pr.number)[-1] == f"A revert PR is already open: #{revert.number}."
    assert [p.number for p in world.gh.pulls() if p.head == revert_branch] == [revert.number]


# --- 6. comments the bot must not act on --------------------------------------------------
def test_command_on_a_pr_the_bot_did_not_open_is_refused(world):
    world.push_human_commit("feature/x", {"docs/feature.md": "x\n"}, "a feature", start="main")
    opened = world.as_person(MAINTAINER_TOKEN, "POST", "/pulls",
                             json={"head": "feature/x", "base": "main", "title": "human work", "body": "no marker"})
    assert opened.status_code == 201, opened.text
    number = opened.json()["number"]
    refs, pushes = world.repo.origin_refs(), world.pushes()
    comment_id, event = world.comment_event("wendy", number, "/retry")
    world.gh.clear_requests()
    assert world.command(event) == 0
    assert world.replies(number) == ["upgrade-bot commands only work on pull requests upgrade-bot opened."]
    assert world.writes() == [("POST", f"/repos/{OWNER}/{REPO}/issues/{number}/comments", 201)]
    assert world.repo.origin_refs() == refs and world.pushes() == pushes
    assert world.gh.state.comment(comment_id).reactions == []


@pytest.mark.parametrize("login", ["dependabot[bot]", "release-helper", BOT_LOGIN])
def test_a_bot_gets_no_reply_at_all(world, login, capsys):
    assert world.run() == 0
    world.gh.add_user(login, "write", type="Bot")  # release-helper: an App whose login lacks "[bot]"
    pr = world.pr("alpha")
    comment_id, event = world.comment_event(login, pr.number, "/retry")
    refs = world.repo.origin_refs()
    world.gh.clear_requests()
    capsys.readouterr()
    assert world.command(event) == 0
    assert world.gh.requests == []  # not even a read: the loop guard comes first
    assert [c.id for c in world.gh.state.comments_of(pr.number)] == [comment_id]
    assert world.repo.origin_refs() == refs
    assert capsys.readouterr().out == "ignored: not a command for upgrade-bot\n"


def test_a_malicious_comment_is_neither_executed_nor_echoed(world, tmp_path, monkeypatch, capsys):
    assert world.run() == 0
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    evil = (f"/retry $(touch {canary}) `touch {canary}` $(touch CANARY) <script>alert(1)</script>\n"
            f"<img src=x onerror=alert(2)> @everyone")
    pr = world.pr("alpha")
    refs, body = world.repo.origin_refs(), pr.body
    _, event = world.comment_event("wendy", pr.number, evil)
    capsys.readouterr()
    assert world.command(event) == 0
    assert not canary.exists() and not list(tmp_path.rglob("CANARY"))
    [reply] = world.replies(pr.number)
    printed = capsys.readouterr().out
    for text in (reply, printed):
        assert text.startswith("Unknown command or arguments: `/retry`.") and "/retry --force" in text
        for raw in ("$(", "`touch", "CANARY", "<script", "<img", "onerror", "@everyone", str(tmp_path)):
            assert raw not in text
    assert world.repo.origin_refs() == refs and world.pr("alpha").body == body


# --- 7. the token never reaches the output ------------------------------------------------
SECRET = "t0p/secret+value=42xyz"  # not shaped like a GitHub token: only explicit scrubbing hides it


def _fail_opening_a_pr(world: GitHubWorld, monkeypatch) -> int:
    world.gh.inject(Fault("POST", r"/pulls$", 422, {}, {"message": f"Bad token {SECRET} (token {SECRET})"}))
    code = world.run()
    # the job failed: no PR, and the branch it pushed was deleted again
    assert world.gh.pulls() == [] and world.repo.origin_branch(branch_of("alpha")) is None
    return code


def _fail_fetching_with_the_token_url(world: GitHubWorld, monkeypatch) -> int:
    # no push override: the bot fetches from http://x-access-token:<token>@host/owner/repo.git, which the fake
    # does not serve (401)
    monkeypatch.delenv("UPGRADE_BOT_PUSH_URL")
    return world.run()


def _fail_reading_a_permission(world: GitHubWorld, monkeypatch) -> int:
    assert world.run() == 0
    world.gh.inject(Fault("GET", r"/collaborators/", 403, {}, {"message": f"Forbidden for {SECRET}"}))
    _, event = world.comment_event("wendy", world.pr("alpha").number, "/retry")
    return world.command(event)


def _fail_listing_after_a_logged_retry(world: GitHubWorld, monkeypatch) -> int:
    # the first answer is retried (and logged, with its text); the second asks for more than the allowed wait
    world.gh.inject(Fault("GET", r"/pulls$", 429, {"Retry-After": "0"}, {"message": f"slow down {SECRET}"}),
                    Fault("GET", r"/pulls$", 403, {"Retry-After": "600"}, {"message": f"rate limit {SECRET}"}))
    return world.run()


@pytest.mark.parametrize("fail, reported", [
    (_fail_opening_a_pr, "open PR for upgrade-bot/widgets-2.0/alpha failed: 422 Bad token *** (token ***)"),
    (_fail_fetching_with_the_token_url, "upgrade-bot: error: git fetch failed: "),
    (_fail_reading_a_permission, "upgrade-bot: error: GitHub: permission of wendy failed: 403 Forbidden for ***"),
    (_fail_listing_after_a_logged_retry, "was rate limited (403 rate limit ***)"),
], ids=["api-error-echoing-it", "git-fetch-from-the-token-url", "command-failing", "retried-then-rate-limited"])
def test_the_token_never_appears_in_what_the_cli_prints(world, fail, reported, monkeypatch, capsys, caplog):
    world.gh.tokens[SECRET] = BOT_LOGIN
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    caplog.set_level(logging.WARNING)  # pytest takes the warnings the CLI would print on stderr
    assert fail(world, monkeypatch) == 1
    out, err = capsys.readouterr()
    printed = out + err + caplog.text
    assert reported in printed
    for form in (SECRET, urllib.parse.quote(SECRET, safe="")):
        assert form not in printed
    if fail is _fail_listing_after_a_logged_retry:
        assert "429 slow down ***; retrying in 0.0 s" in caplog.text


# --- retry policy as configured from the environment --------------------------------------
def test_a_single_5xx_is_retried_when_max_wait_is_below_the_backoff(world, monkeypatch, capsys):
    monkeypatch.setenv("UPGRADE_BOT_MAX_WAIT", "1")
    world.gh.inject(Fault.server_error("GET", r"/pulls$"))
    code = world.run()
    assert "rate limited" not in capsys.readouterr().err
    assert code == 0
    world.assert_one_pr_per_job()
