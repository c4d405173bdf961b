"""The GitHub forge: the Forge protocol over PyGithub (the only module that imports it).

PyGithub's own retries are off (`retry=None`): its urllib3 Retry skips PATCH, resends POST after a 5xx
(duplicate PRs and comments) and can sleep an hour on a primary limit. ApiCaller does all of it instead."""
from __future__ import annotations

import logging
import os
import time
import urllib.parse
from typing import Callable, Iterable

from github import Auth, Github
from github.PullRequest import PullRequest as GhPullRequest

from bot.forge.base import CheckResult, Comment, PullRequest
from bot.forge.github_retry import PROCESS_SCRUBBER, ApiCaller, GitHubError, RetryPolicy
from bot.reviewers import Reviewers, split_reviewers

log = logging.getLogger("bot.forge.github")

# commits made with the Actions token are attributed to this account (user id 41898282)
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"

DEFAULT_API_URL = "https://api.github.com"
DASHBOARD_LABEL = "upgrade-bot"
MAX_BODY = 65_536  # GitHub refuses longer PR, issue and comment bodies with a 422
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
ROLES = ("admin", "maintain", "write", "triage", "read")
# how far back a comment may be dated and still be the one our unanswered request made (clock skew)
_COMMENT_LOOKBACK = 300.0
_CHECK_FAILED = {"failure", "timed_out", "cancelled", "action_required", "startup_failure", "stale"}
_CHECK_PASSED = {"success", "neutral", "skipped"}


class GitHubForge:
    name = "github"

    def __init__(self, *, repo: str, token: str, api_url: str = DEFAULT_API_URL, push_url: str | None = None,
                 policy: RetryPolicy | None = None, read_spacing: float = 0.25, timeout: int = 30,
                 per_page: int = 100, managed_labels: Iterable[str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """managed_labels: the labels update_pr may remove. None = every label not asked for (the protocol's
        "labels become exactly these"); a set = only those, so labels people add by hand survive."""
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise GitHubError(f"GitHub repository must be 'owner/name', got {repo!r}")
        if not token:
            raise GitHubError("no GitHub token: set UPGRADE_BOT_TOKEN or GITHUB_TOKEN")
        PROCESS_SCRUBBER.add(token)
        self.owner, self.repo_name = owner, name
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._push_url_override = push_url
        self._managed_labels = set(managed_labels) if managed_labels is not None else None
        self._caller = ApiCaller(policy or RetryPolicy(), PROCESS_SCRUBBER, sleep=sleep)
        self._gh = Github(auth=Auth.Token(token), base_url=self.api_url, retry=None, timeout=timeout,
                          per_page=per_page, seconds_between_requests=read_spacing, seconds_between_writes=0,
                          lazy=True)  # lazy: an object by number or sha costs no request until it is read
        self._repo = self._gh.get_repo(f"{owner}/{name}")

    @classmethod
    def from_env(cls, config_repo: str | None, api_url: str | None, **options) -> GitHubForge:
        """Build from the Actions environment: GITHUB_REPOSITORY, UPGRADE_BOT_TOKEN (an App token or PAT,
        preferred) or GITHUB_TOKEN, GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3),
        UPGRADE_BOT_PUSH_URL, UPGRADE_BOT_MAX_WAIT, UPGRADE_BOT_WRITE_SPACING and UPGRADE_BOT_READ_SPACING (seconds)."""
        env = os.environ
        repo = config_repo or env.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise GitHubError("no GitHub repository: set github-repository in upgrade-bot.toml or GITHUB_REPOSITORY")
        token = env.get("UPGRADE_BOT_TOKEN") or env.get("GITHUB_TOKEN") or ""
        policy = options.pop("policy", None) or RetryPolicy(
            max_wait=_env_seconds("UPGRADE_BOT_MAX_WAIT", RetryPolicy.max_wait),
            write_spacing=_env_seconds("UPGRADE_BOT_WRITE_SPACING", RetryPolicy.write_spacing))
        options.setdefault("read_spacing", _env_seconds("UPGRADE_BOT_READ_SPACING", 0.25))
        return cls(repo=repo, token=token, api_url=api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL,
                   push_url=env.get("UPGRADE_BOT_PUSH_URL") or None, policy=policy, **options)

    def __repr__(self) -> str:  # never the token
        return f"GitHubForge({self.owner}/{self.repo_name} at {self.api_url})"

    # --- pull requests --------------------------------------------------------------------
    def find_pr(self, head: str) -> PullRequest | None:
        prs = self._prs_for_head(head, state="all")
        return prs[-1] if prs else None

    def list_prs(self, head_prefix: str) -> list[PullRequest]:
        """Oldest first, so a caller that keys them by branch ends up with the newest."""
        def fetch() -> list[PullRequest]:
            pulls = self._repo.get_pulls(state="all", sort="created", direction="asc")
            return [self._to_pr(p) for p in pulls if self._is_ours(p) and p.head.ref.startswith(head_prefix)]
        return sorted(self._caller.read(f"list PRs under {head_prefix}", fetch), key=lambda p: p.number)

    def get_pr(self, number: int) -> PullRequest:
        return self._caller.read(f"read PR #{number}", lambda: self._to_pr(self._repo.get_pull(number)))

    def open_pr(self, *, head: str, base: str, title: str, body: str, labels: list[str], reviewers: list[str],
                draft: bool = False) -> PullRequest:
        """Open the PR, or update the one already open for this head (a re-run, or a lost answer)."""
        _check_body(body, f"PR body for {head}")
        existing = self._open_pr_for(head)
        if existing is not None:
            log.info("GitHub: PR #%d for %s is already open; updating it", existing.number, head)
            return self.update_pr(existing.number, title=title, body=body, labels=labels)
        try:
            pr = self._create_pr(head, base, title, body, draft)
        except GitHubError as exc:
            if exc.status == 422 and draft and "draft" in str(exc).lower():
                log.warning("GitHub: draft PRs are not available here; opening %s as a normal PR", head)
                pr = self._create_pr(head, base, title, body, False)
            elif exc.status == 422 and "already exists" in str(exc):
                existing = self._open_pr_for(head)
                if existing is None:
                    raise
                return self.update_pr(existing.number, title=title, body=body, labels=labels)
            else:
                raise
        pr.labels = self._apply_labels(pr.number, pr.labels, labels)
        self._request_reviewers(pr, reviewers)
        return pr

    def update_pr(self, number: int, *, title: str | None = None, body: str | None = None,
                  labels: list[str] | None = None) -> PullRequest:
        """Sends only what differs from the PR as it is, so an unchanged re-run writes nothing."""
        current = self.get_pr(number)
        changes = {}
        if title is not None and title != current.title:
            changes["title"] = title
        if body is not None and body != current.body:
            _check_body(body, f"PR #{number} body")
            changes["body"] = body
        if changes:
            def edit() -> PullRequest:
                pull = self._repo.get_pull(number)
                pull.edit(**changes)
                return self._to_pr(pull)
            labels_now = current.labels
            current = self._caller.write(f"update PR #{number}", edit)
            current.labels = labels_now
        if labels is not None:
            current.labels = self._apply_labels(number, current.labels, labels)
        return current

    def close_pr(self, number: int) -> None:
        self._caller.write(f"close PR #{number}", lambda: self._repo.get_pull(number).edit(state="closed"))

    def reopen_pr(self, number: int) -> None:
        self._caller.write(f"reopen PR #{number}", lambda: self._repo.get_pull(number).edit(state="open"))

    # --- comments, reactions, permissions -------------------------------------------------
    def comment(self, number: int, body: str) -> Comment:
        _check_body(body, f"comment on #{number}")
        started = time.time()

        def lost_one() -> Comment | None:
            for found in reversed(self._raw_comments(number)):
                if found.body == body and found.created_at.timestamp() >= started - _COMMENT_LOOKBACK:
                    return _to_comment(found)
            return None

        return self._caller.create(f"comment on #{number}",
                                   lambda: _to_comment(self._repo.get_issue(number).create_comment(body)),
                                   find_existing=lost_one)

    def list_comments(self, number: int) -> list[Comment]:
        return self._caller.read(f"list comments of #{number}",
                                 lambda: [_to_comment(c) for c in self._raw_comments(number)])

    def react(self, comment_id: int, reaction: str) -> None:
        if reaction not in REACTIONS:
            raise GitHubError(f"GitHub has no reaction {reaction!r} (one of {', '.join(REACTIONS)})")
        url = f"{self._repo.url}/issues/comments/{comment_id}/reactions"
        # GitHub answers 200 with the existing reaction when it is already there: safe to resend
        self._caller.write(f"react {reaction} to comment {comment_id}",
                           lambda: self._gh.requester.requestJsonAndCheck("POST", url, input={"content": reaction}))

    def permission(self, user: str) -> str:
        """The user's role on this repository, from the collaborator permission API (author_association is
        not authoritative: private org members show up as CONTRIBUTOR or NONE)."""
        url = f"{self._repo.url}/collaborators/{urllib.parse.quote(user, safe='')}/permission"
        try:
            _, data = self._caller.read(f"permission of {user}",
                                        lambda: self._gh.requester.requestJsonAndCheck("GET", url))
        except GitHubError as exc:
            if exc.status == 404:  # no such user
                return "none"
            raise
        role = data.get("role_name")
        if role in ROLES:
            return role
        legacy = data.get("permission")  # custom roles: fall back to their base permission
        return legacy if legacy in ROLES else "none"

    # --- checks ---------------------------------------------------------------------------
    def checks(self, sha: str) -> CheckResult:
        """Check runs (GitHub Actions reports these) and commit statuses (other CI) on one commit."""
        commit = self._repo.get_commit(sha)
        runs = self._caller.read(f"check runs of {sha[:12]}", lambda: list(commit.get_check_runs()))
        combined = self._caller.read(f"statuses of {sha[:12]}", commit.get_combined_status)
        outcomes: list[tuple[str, str]] = []
        for run in runs:
            if run.status != "completed":
                outcomes.append(("pending", f"{run.name}: {run.status}"))
            elif run.conclusion in _CHECK_PASSED:
                outcomes.append(("success", f"{run.name}: {run.conclusion}"))
            else:
                verdict = "failure" if run.conclusion in _CHECK_FAILED else "pending"
                outcomes.append((verdict, f"{run.name}: {run.conclusion}"))
        for status in combined.statuses:
            verdict = {"error": "failure", "failure": "failure", "pending": "pending"}.get(status.state, "success")
            outcomes.append((verdict, f"{status.context}: {status.state}"))
        verdicts = {v for v, _ in outcomes}
        state = next((s for s in ("failure", "pending", "success") if s in verdicts), "none")
        return CheckResult(state, [detail for _, detail in outcomes])

    # --- dashboard --------------------------------------------------------------------------
    def publish_dashboard(self, title: str, body: str) -> str:
        """Keep one open issue with this title up to date; returns its URL. It carries DASHBOARD_LABEL so
        it is found with one filtered list; if someone removed the label, every open issue is searched."""
        _check_body(body, f"issue {title!r}")

        def matching(issues) -> tuple[int, str, str] | None:
            for issue in issues:
                # title first: pull_request of a plain issue is absent from lists, reading it costs a GET
                if issue.title == title and issue.pull_request is None:
                    return issue.number, issue.html_url, issue.body or ""
            return None

        def find() -> tuple[int, str, str] | None:
            return (matching(self._repo.get_issues(state="open", labels=[DASHBOARD_LABEL]))
                    or matching(self._repo.get_issues(state="open")))

        found = self._caller.read(f"find issue {title!r}", find)
        if found is None:
            def create() -> tuple[int, str, str]:
                issue = self._repo.create_issue(title=title, body=body, labels=[DASHBOARD_LABEL])
                return issue.number, issue.html_url, body
            found = self._caller.create(f"open issue {title!r}", create, find_existing=find)
        number, url, current = found
        if current != body:
            self._caller.write(f"update issue #{number}", lambda: self._repo.get_issue(number).edit(body=body))
        return url

    # --- git ------------------------------------------------------------------------------
    def push_url(self) -> str | None:
        """A URL with the token in it: callers must never log it."""
        if self._push_url_override:
            return self._push_url_override
        parts = urllib.parse.urlsplit(self.api_url)
        host = parts.netloc
        if parts.path in ("", "/") and host.startswith("api."):
            host = host[len("api."):]  # api.github.com -> github.com, api.X.ghe.com -> X.ghe.com
        token = urllib.parse.quote(self._token, safe="")
        return f"{parts.scheme}://x-access-token:{token}@{host}/{self.owner}/{self.repo_name}.git"

    # --- internals ------------------------------------------------------------------------
    def _prs_for_head(self, head: str, state: str) -> list[PullRequest]:
        def fetch() -> list[PullRequest]:
            # "owner:branch": a bare branch name is silently ignored by GitHub, which then lists every PR
            pulls = self._repo.get_pulls(state=state, head=f"{self.owner}:{head}")
            return [self._to_pr(p) for p in pulls if self._is_ours(p) and p.head.ref == head]
        return sorted(self._caller.read(f"find PRs for {head}", fetch), key=lambda p: p.number)

    def _open_pr_for(self, head: str) -> PullRequest | None:
        prs = self._prs_for_head(head, state="open")
        return prs[-1] if prs else None

    def _create_pr(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        def create() -> PullRequest:
            return self._to_pr(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft))
        return self._caller.create(f"open PR for {head}", create, find_existing=lambda: self._open_pr_for(head))

    def _apply_labels(self, number: int, current: list[str], wanted: list[str]) -> list[str]:
        add = [label for label in dict.fromkeys(wanted) if label not in current]
        remove = [label for label in current if label not in wanted
                  and (self._managed_labels is None or label in self._managed_labels)]
        issue = self._repo.get_issue(number)
        if add:
            self._caller.write(f"label #{number}", lambda: issue.add_to_labels(*add))
        for label in remove:
            try:
                self._caller.write(f"unlabel #{number}", lambda label=label: issue.remove_from_labels(label))
            except GitHubError as exc:
                if exc.status != 404:  # already gone
                    raise
        return [label for label in current if label not in remove] + add

    def _request_reviewers(self, pr: PullRequest, reviewers: list[str]) -> None:
        """Users and teams in one request. GitHub refuses the whole request for one name it does not accept
        (422), so then each is asked for apart: one refused reviewer never costs the others their request."""
        wanted = split_reviewers(r for r in reviewers if r and r != pr.author)
        users = list(wanted.users)
        teams = [slug for org, slug in wanted.teams if org.lower() == self.owner.lower()]
        for org, slug in wanted.teams:
            if org.lower() != self.owner.lower():
                log.warning("GitHub: not requesting team %s/%s on #%d: only teams of %s can review here",
                            org, slug, pr.number, self.owner)
        asks = [([user], []) for user in users] + [([], [team]) for team in teams]
        if not asks:
            return
        try:
            self._ask_review(pr.number, users, teams)  # one request when GitHub takes them all
            return
        except GitHubError as exc:
            if exc.status != 422:
                raise
            if len(asks) == 1:
                return self._refused(pr.number, *asks[0], exc)
        for one_user, one_team in asks:
            try:
                self._ask_review(pr.number, one_user, one_team)
            except GitHubError as exc:
                if exc.status != 422:
                    raise
                self._refused(pr.number, one_user, one_team, exc)

    def _refused(self, number: int, users: list[str], teams: list[str], exc: GitHubError) -> None:
        # a reviewer GitHub refuses must not cost the PR (nor the other reviewers): say so and go on
        who = ", ".join([*users, *(f"{self.owner}/{team}" for team in teams)])
        log.warning("GitHub: could not request reviewers %s on #%d: %s", who, number, exc)

    def _ask_review(self, number: int, users: list[str], teams: list[str]) -> None:
        asked = {"reviewers": users} if users else {}
        if teams:
            asked["team_reviewers"] = teams
        self._caller.write(f"request reviewers on #{number}",
                           lambda: self._repo.get_pull(number).create_review_request(**asked))

    def reviewer_problems(self, reviewers: Reviewers) -> list[tuple[str, bool]]:
        """What `plan` says about the configured reviewers: users must be collaborators, teams must be teams
        of this repository's organization with access to it. A token that cannot read the organization's
        teams (GITHUB_TOKEN; an App without Members: read) cannot tell: that is a warning, not an error."""
        repo = f"{self.owner}/{self.repo_name}"
        problems: list[tuple[str, bool]] = []
        for user in reviewers.users:
            refused = self._refusal(f"/repos/{repo}/collaborators/{urllib.parse.quote(user, safe='')}", user)
            if refused == 404:
                problems.append((f"{user} is not a collaborator of {repo}: GitHub only asks people with access",
                                 True))
            elif refused is not None:
                problems.append((f"cannot check {user}: this token may not list {repo}'s collaborators", False))
        for org, slug in reviewers.teams:
            if org.lower() != self.owner.lower():
                problems.append((f"team {org}/{slug} is not a team of {self.owner}, which owns {repo}", True))
                continue
            refused = self._refusal(f"/orgs/{org}/teams/{slug}/repos/{self.owner}/{self.repo_name}",
                                    f"team {org}/{slug}")
            if refused == 404 and self._refusal(f"/orgs/{org}/teams?per_page=1", f"teams of {org}") is None:
                problems.append((f"team {org}/{slug} does not exist or has no access to {repo}", True))
            elif refused is not None:
                problems.append((f"cannot check team {org}/{slug}: this token cannot read {org}'s teams (a GitHub "
                                 f"App needs the Members: read organization permission); it is requested anyway",
                                 False))
        return problems

    def _refusal(self, path: str, what: str) -> int | None:
        """None when GitHub answers the GET, else its 403 or 404 (any other failure raises)."""
        url = self.api_url + path
        try:
            self._caller.read(f"read {what}", lambda: self._gh.requester.requestJsonAndCheck("GET", url))
        except GitHubError as exc:
            if exc.status in (403, 404):
                return exc.status
            raise
        return None

    def _raw_comments(self, number: int) -> list:
        return list(self._repo.get_issue(number).get_comments())

    def _is_ours(self, pull: GhPullRequest) -> bool:
        """Not a fork's PR that happens to use the same branch name."""
        label = pull.head.label or ""
        return label.split(":", 1)[0].lower() == self.owner.lower() if ":" in label else True

    @staticmethod
    def _to_pr(pull: GhPullRequest) -> PullRequest:
        # merged_at is in list answers too; `merged` is not and would cost a GET per PR
        merged = pull.merged_at is not None
        return PullRequest(
            number=pull.number, title=pull.title or "", body=pull.body or "", head=pull.head.ref,
            base=pull.base.ref, state="merged" if merged else pull.state,
            labels=[label.name for label in pull.labels], url=pull.html_url or "",
            merge_sha=pull.merge_commit_sha if merged else None, draft=bool(pull.draft),
            author=pull.user.login if pull.user else "")


def _to_comment(raw) -> Comment:
    user = raw.user
    return Comment(id=raw.id, user=user.login if user else "", body=raw.body or "",
                   user_type=(user.type if user and user.type else "User"))


def _check_body(body: str, what: str) -> None:
    if len(body) > MAX_BODY:
        raise GitHubError(f"{what} is {len(body)} characters; GitHub accepts at most {MAX_BODY}")


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise GitHubError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise GitHubError(f"{name} must not be negative, got {raw!r}")
    return value
