"""What the fake GitHub knows: users, issues and pull requests (one number space), comments, reactions,
checks and statuses. Pure data plus the rules GitHub applies; HTTP lives in server.py."""
from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .git_backend import GitBackend, MergeConflict

BOT_LOGIN = "github-actions[bot]"
REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}
# legacy "permission" field of the collaborator permission API; role_name keeps the real role
_LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read",
                      "read": "read", "none": "none"}


class ApiError(Exception):
    """An error response: status, GitHub's message, optional `errors` list."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status, self.message, self.errors = status, message, errors


def now_iso(at: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "Bot" for apps and github-actions[bot]
    role: str = "none"  # admin, maintain, write, triage, read, none


@dataclass
class Team:
    """An organization team (the fake's organization is the repository's owner)."""

    slug: str
    id: int
    name: str
    permission: str | None = None  # on this repository: pull, triage, push, maintain, admin; None = no access
    privacy: str = "closed"


@dataclass
class Reaction:
    id: int
    user: str
    content: str
    created_at: str


@dataclass
class CommentRecord:
    id: int
    issue_number: int
    user: str
    body: str
    created_at: str
    updated_at: str
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class IssueRecord:
    """An issue, or the issue half of a pull request (is_pull)."""

    number: int
    title: str
    body: str
    user: str
    created_at: str
    updated_at: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    closed_at: str | None = None
    is_pull: bool = False
    # pull requests only
    head: str = ""
    base: str = ""
    head_sha: str = ""  # refreshed from git while the branch exists, frozen after
    base_sha: str = ""
    draft: bool = False
    merged: bool = False
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)  # team slugs
    maintainer_can_modify: bool = False
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str = "completed"  # queued, in_progress, completed
    conclusion: str | None = "success"
    started_at: str = ""
    completed_at: str | None = None


@dataclass
class CommitStatus:
    id: int
    context: str
    state: str  # error, failure, pending, success
    description: str = ""
    target_url: str | None = None
    created_at: str = ""


class RepoState:
    """One repository. Every public method takes the lock: the server is threaded."""

    def __init__(self, bare_repo: Path, owner: str, name: str, *, default_branch: str = "main",
                 private: bool = True) -> None:
        self.git = GitBackend(bare_repo)
        self.owner, self.name = owner, name
        self.default_branch = default_branch
        self.private = private
        self.drafts_supported = True
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.issues: dict[int, IssueRecord] = {}
        self.comments: dict[int, CommentRecord] = {}
        self.check_runs: list[CheckRun] = []
        self.statuses: dict[str, list[CommitStatus]] = {}
        self.repo_labels: set[str] = set()
        self.teams: dict[str, Team] = {}  # by slug, in the organization that owns the repository
        self._numbers = itertools.count(1)
        self._ids = itertools.count(1001)  # comment, reaction, check and status ids
        self._user_ids = itertools.count(1)
        self.add_user(BOT_LOGIN, role="write", type="Bot")
        self.add_user(owner, role="admin")

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    # --- users ----------------------------------------------------------------------------
    def add_user(self, login: str, *, role: str = "none", type: str = "User") -> User:
        with self.lock:
            user = self.users.get(login) or User(login=login, id=next(self._user_ids))
            user.role, user.type = role, type
            self.users[login] = user
            return user

    def user(self, login: str) -> User:
        with self.lock:
            return self.users.get(login) or self.add_user(login)

    def is_collaborator(self, login: str) -> bool:
        """GET /repos/{o}/{r}/collaborators/{user}: anyone with a role on the repository (204), else 404."""
        with self.lock:
            user = self.users.get(login)
            return user is not None and user.role != "none"

    # --- teams ----------------------------------------------------------------------------
    def add_team(self, slug: str, *, permission: str | None = "push", name: str | None = None) -> Team:
        """A team of the organization that owns the repository; permission None: no access to it."""
        with self.lock:
            team = self.teams.get(slug) or Team(slug=slug, id=next(self._user_ids) + 9000, name=name or slug)
            team.permission = permission
            self.teams[slug] = team
            return team

    def team(self, org: str, slug: str) -> Team:
        """404 for another organization or a slug it does not have (GitHub compares both case-insensitively)."""
        with self.lock:
            found = self.teams.get(slug.lower()) if org.lower() == self.owner.lower() else None
            if found is None:
                raise ApiError(404, "Not Found")
            return found

    def team_repo_permission(self, org: str, slug: str, owner: str, repo: str) -> str:
        """GET /orgs/{org}/teams/{slug}/repos/{owner}/{repo}: the team's permission, or 404 when it has none."""
        with self.lock:
            team = self.team(org, slug)
            if (owner.lower(), repo.lower()) != (self.owner.lower(), self.name.lower()) or team.permission is None:
                raise ApiError(404, "Not Found")
            return team.permission

    def permission(self, login: str) -> tuple[str, str, User]:
        """(legacy permission, role name, user); 404 for a user GitHub does not know."""
        with self.lock:
            user = self.users.get(login)
            if user is None:
                raise ApiError(404, "Not Found")
            role = user.role
            if role == "none" and not self.private:
                role = "read"  # public repos report read for everyone
            return _LEGACY_PERMISSION.get(role, "read"), role, user

    # --- issues and pull requests ---------------------------------------------------------
    def issue(self, number: int) -> IssueRecord:
        with self.lock:
            record = self.issues.get(number)
            if record is None:
                raise ApiError(404, "Not Found")
            self._refresh(record)
            return record

    def pull(self, number: int) -> IssueRecord:
        record = self.issue(number)
        if not record.is_pull:
            raise ApiError(404, "Not Found")
        return record

    def _refresh(self, record: IssueRecord) -> None:
        if record.is_pull and record.state == "open":
            record.head_sha = self.git.branch_sha(record.head) or record.head_sha
            record.base_sha = self.git.branch_sha(record.base) or record.base_sha

    def _touch(self, record: IssueRecord) -> None:
        record.updated_at = now_iso()

    def _strip_owner(self, head: str) -> str:
        owner, sep, branch = head.partition(":")
        if not sep:
            return head
        if owner != self.owner:
            raise ApiError(422, "Validation Failed",
                           [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
        return branch

    def create_pull(self, *, user: str, head: str, base: str, title: str, body: str = "",
                    draft: bool = False, maintainer_can_modify: bool = False) -> IssueRecord:
        with self.lock:
            branch = self._strip_owner(head)
            head_sha, base_sha = self.git.branch_sha(branch), self.git.branch_sha(base)
            if head_sha is None:
                raise ApiError(422, "Validation Failed",
                               [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
            if base_sha is None:
                raise ApiError(422, "Validation Failed",
                               [{"resource": "PullRequest", "field": "base", "code": "invalid"}])
            if draft and not self.drafts_supported:
                raise ApiError(422, "Draft pull requests are not supported in this repository.")
            for other in self.issues.values():
                if other.is_pull and other.state == "open" and other.head == branch and other.base == base:
                    raise ApiError(422, "Validation Failed", [{
                        "resource": "PullRequest", "code": "custom",
                        "message": f"A pull request already exists for {self.owner}:{branch}."}])
            if self.git.count_commits(base_sha, head_sha) == 0:
                raise ApiError(422, "Validation Failed", [{
                    "resource": "PullRequest", "code": "custom",
                    "message": f"No commits between {base} and {branch}"}])
            stamp = now_iso()
            record = IssueRecord(number=next(self._numbers), title=title, body=body or "", user=user,
                                 created_at=stamp, updated_at=stamp, is_pull=True, head=branch, base=base,
                                 head_sha=head_sha, base_sha=base_sha, draft=draft,
                                 maintainer_can_modify=maintainer_can_modify)
            self.issues[record.number] = record
            return record

    def edit_pull(self, number: int, changes: dict) -> IssueRecord:
        with self.lock:
            record = self.pull(number)
            if "base" in changes and self.git.branch_sha(changes["base"]) is None:
                raise ApiError(422, "Validation Failed",
                               [{"resource": "PullRequest", "field": "base", "code": "invalid"}])
            self._edit_common(record, changes)
            if "base" in changes:
                record.base = changes["base"]
            if "maintainer_can_modify" in changes:
                record.maintainer_can_modify = bool(changes["maintainer_can_modify"])
            self._refresh(record)
            return record

    def _edit_common(self, record: IssueRecord, changes: dict) -> None:
        if "title" in changes and changes["title"] is not None:
            record.title = changes["title"]
        if "body" in changes:
            record.body = changes["body"] or ""
        state = changes.get("state")
        if state == "closed" and record.state == "open":
            self._refresh(record)
            record.state, record.closed_at = "closed", now_iso()
        elif state == "open" and record.state == "closed":
            if record.merged:
                raise ApiError(422, "Validation Failed",
                               [{"resource": "PullRequest", "code": "custom",
                                 "message": "state cannot be changed. The pull request has been merged."}])
            if record.is_pull and self.git.branch_sha(record.head) is None:
                raise ApiError(422, "Validation Failed",
                               [{"resource": "PullRequest", "code": "custom",
                                 "message": "state cannot be changed. The head branch was deleted."}])
            record.state, record.closed_at = "open", None
        elif state not in (None, "open", "closed"):
            raise ApiError(422, "Validation Failed",
                           [{"resource": "Issue", "field": "state", "code": "invalid"}])
        self._touch(record)

    def merge_pull(self, number: int, *, user: str, sha: str | None = None, method: str = "merge",
                   title: str | None = None, message: str | None = None) -> IssueRecord:
        with self.lock:
            record = self.pull(number)
            if record.merged or record.state != "open":
                raise ApiError(405, "Pull Request is not mergeable")
            if record.draft:
                raise ApiError(405, "Pull Request is still a draft")
            if method not in ("merge", "squash"):
                raise ApiError(422, f"Merge method {method} is not supported by the fake")
            if sha and sha != record.head_sha:
                raise ApiError(409, "Head branch was modified. Review and try the merge again.")
            default_title = (f"Merge pull request #{number} from {self.owner}/{record.head}" if method == "merge"
                             else f"{record.title} (#{number})")
            text = title or default_title
            if message:
                text += "\n\n" + message
            elif method == "merge":
                text += "\n\n" + record.title
            merger = self.user(user)
            try:
                new_sha = self.git.merge(record.base, record.head_sha, text, method,
                                         (merger.login, f"{merger.id}+{merger.login}@users.noreply.github.com"))
            except MergeConflict:
                raise ApiError(405, "Pull Request is not mergeable") from None
            stamp = now_iso()
            record.merged, record.merged_at, record.merged_by = True, stamp, user
            record.merge_commit_sha = new_sha
            record.state, record.closed_at = "closed", stamp
            record.base_sha = new_sha
            self._touch(record)
            return record

    def update_branch(self, number: int, *, user: str, expected_head_sha: str | None = None) -> IssueRecord:
        """The "Update branch" button (PUT /pulls/{n}/update-branch): merges the base into the head branch
        with a merge commit by the user who asked, committed by GitHub."""
        with self.lock:
            record = self.pull(number)
            if record.state != "open":
                raise ApiError(422, "Pull request is not open")
            if expected_head_sha and expected_head_sha != record.head_sha:
                raise ApiError(422, "expected_head_sha does not match the pull request's head")
            base_sha = self.git.branch_sha(record.base)
            if base_sha is None or self.git.count_commits(record.head_sha, base_sha) == 0:
                raise ApiError(422, "There are no new commits on the base branch.")
            merger = self.user(user)
            try:
                self.git.merge(record.head, base_sha, f"Merge branch '{record.base}' into {record.head}", "merge",
                               (merger.login, f"{merger.id}+{merger.login}@users.noreply.github.com"))
            except MergeConflict:
                raise ApiError(422, "merge conflict between base and head") from None
            self._refresh(record)
            self._touch(record)
            return record

    def mark_ready(self, number: int) -> IssueRecord:
        """A draft made ready for review (the button; GraphQL markPullRequestReadyForReview)."""
        with self.lock:
            record = self.pull(number)
            record.draft = False
            self._touch(record)
            return record

    def list_pulls(self, *, state: str = "open", head: str | None = None,
                   base: str | None = None) -> list[IssueRecord]:
        with self.lock:
            found = [r for r in self.issues.values() if r.is_pull]
            for record in found:
                self._refresh(record)
            if state != "all":
                found = [r for r in found if r.state == state]
            # like GitHub: a head without "owner:" is ignored, not an error
            if head and ":" in head:
                owner, _, branch = head.partition(":")
                found = [r for r in found if owner == self.owner and r.head == branch]
            if base:
                found = [r for r in found if r.base == base]
            return sorted(found, key=lambda r: r.number, reverse=True)

    def create_issue(self, *, user: str, title: str, body: str = "", labels: list[str] | None = None) -> IssueRecord:
        with self.lock:
            if not title:
                raise ApiError(422, "Validation Failed", [{"resource": "Issue", "field": "title",
                                                           "code": "missing_field"}])
            stamp = now_iso()
            record = IssueRecord(number=next(self._numbers), title=title, body=body or "", user=user,
                                 created_at=stamp, updated_at=stamp)
            self.issues[record.number] = record
            if labels:
                self.add_labels(record.number, labels)
            return record

    def edit_issue(self, number: int, changes: dict) -> IssueRecord:
        with self.lock:
            record = self.issue(number)
            self._edit_common(record, changes)
            if changes.get("labels") is not None:
                self.set_labels(number, changes["labels"])
            return record

    def list_issues(self, *, state: str = "open", labels: list[str] | None = None,
                    creator: str | None = None) -> list[IssueRecord]:
        with self.lock:
            found = list(self.issues.values())
            if state != "all":
                found = [r for r in found if r.state == state]
            for label in labels or []:
                found = [r for r in found if label in r.labels]
            if creator:
                found = [r for r in found if r.user == creator]
            return sorted(found, key=lambda r: r.number, reverse=True)

    # --- labels and reviewers -------------------------------------------------------------
    def add_labels(self, number: int, labels: list[str]) -> list[str]:
        with self.lock:
            record = self.issue(number)
            for label in labels:
                self.repo_labels.add(label)  # GitHub creates unknown labels on the fly
                if label not in record.labels:
                    record.labels.append(label)
            self._touch(record)
            return record.labels

    def set_labels(self, number: int, labels: list[str]) -> list[str]:
        with self.lock:
            record = self.issue(number)
            record.labels = []
            return self.add_labels(number, labels)

    def remove_label(self, number: int, label: str) -> list[str]:
        with self.lock:
            record = self.issue(number)
            if label not in record.labels:
                raise ApiError(404, "Label does not exist")
            record.labels.remove(label)
            self._touch(record)
            return record.labels

    def request_reviewers(self, number: int, reviewers: list[str], team_reviewers: list[str] = ()) -> IssueRecord:
        """All or nothing, like GitHub: one user or team it refuses and nobody is requested."""
        with self.lock:
            record = self.pull(number)
            for login in reviewers:
                if login == record.user:
                    raise ApiError(422, "Review cannot be requested from pull request author.")
                if not self.is_collaborator(login):
                    raise ApiError(422, "Reviews may only be requested from collaborators. One or more of the "
                                        "users or teams you specified is not a collaborator of the "
                                        f"{self.full_name} repository.")
            for slug in team_reviewers:
                team = self.teams.get(slug.lower())
                if team is None or team.permission is None:
                    raise ApiError(422, "Reviews may only be requested from collaborators. One or more of the "
                                        "teams you specified is not a collaborator of the "
                                        f"{self.full_name} repository.")
            for login in reviewers:
                if login not in record.requested_reviewers:
                    record.requested_reviewers.append(login)
            for slug in team_reviewers:
                if slug.lower() not in record.requested_teams:
                    record.requested_teams.append(slug.lower())
            return record

    def remove_reviewers(self, number: int, reviewers: list[str], team_reviewers: list[str] = ()) -> IssueRecord:
        with self.lock:
            record = self.pull(number)
            record.requested_reviewers = [r for r in record.requested_reviewers if r not in reviewers]
            record.requested_teams = [t for t in record.requested_teams if t not in team_reviewers]
            return record

    # --- comments and reactions -----------------------------------------------------------
    def add_comment(self, number: int, *, user: str, body: str) -> CommentRecord:
        with self.lock:
            record = self.issue(number)
            if not body:
                raise ApiError(422, "Validation Failed", [{"resource": "IssueComment", "field": "body",
                                                           "code": "missing_field"}])
            self.user(user)
            stamp = now_iso()
            comment = CommentRecord(id=next(self._ids), issue_number=record.number, user=user, body=body,
                                    created_at=stamp, updated_at=stamp)
            self.comments[comment.id] = comment
            return comment

    def comment(self, comment_id: int) -> CommentRecord:
        with self.lock:
            found = self.comments.get(comment_id)
            if found is None:
                raise ApiError(404, "Not Found")
            return found

    def edit_comment(self, comment_id: int, body: str) -> CommentRecord:
        with self.lock:
            found = self.comment(comment_id)
            found.body, found.updated_at = body, now_iso()
            return found

    def delete_comment(self, comment_id: int) -> None:
        with self.lock:
            self.comment(comment_id)
            del self.comments[comment_id]

    def comments_of(self, number: int) -> list[CommentRecord]:
        with self.lock:
            self.issue(number)
            return sorted((c for c in self.comments.values() if c.issue_number == number), key=lambda c: c.id)

    def react(self, reactions: list[Reaction], *, user: str, content: str) -> tuple[Reaction, bool]:
        """(reaction, created); reacting twice with the same content returns the first one, like GitHub."""
        with self.lock:
            if content not in REACTIONS:
                raise ApiError(422, "Validation Failed", [{"resource": "Reaction", "field": "content",
                                                           "code": "invalid"}])
            for existing in reactions:
                if existing.user == user and existing.content == content:
                    return existing, False
            self.user(user)
            reaction = Reaction(id=next(self._ids), user=user, content=content, created_at=now_iso())
            reactions.append(reaction)
            return reaction, True

    # --- checks and statuses --------------------------------------------------------------
    def add_check_run(self, sha: str, name: str, *, status: str = "completed",
                      conclusion: str | None = "success") -> CheckRun:
        with self.lock:
            run = CheckRun(id=next(self._ids), name=name, head_sha=sha, status=status,
                           conclusion=conclusion if status == "completed" else None, started_at=now_iso(),
                           completed_at=now_iso() if status == "completed" else None)
            self.check_runs.append(run)
            return run

    def check_runs_for(self, sha: str, *, name: str | None = None, status: str | None = None,
                       latest: bool = True) -> list[CheckRun]:
        with self.lock:
            runs = [r for r in self.check_runs if r.head_sha == sha]
            if latest:
                newest: dict[str, CheckRun] = {}
                for run in runs:
                    newest[run.name] = run
                runs = list(newest.values())
            if name:
                runs = [r for r in runs if r.name == name]
            if status:
                runs = [r for r in runs if r.status == status]
            return sorted(runs, key=lambda r: r.id, reverse=True)

    def add_status(self, sha: str, context: str, state: str, description: str = "",
                   target_url: str | None = None) -> CommitStatus:
        with self.lock:
            if state not in ("error", "failure", "pending", "success"):
                raise ApiError(422, "Validation Failed", [{"resource": "Status", "field": "state",
                                                           "code": "custom"}])
            status = CommitStatus(id=next(self._ids), context=context, state=state, description=description,
                                  target_url=target_url, created_at=now_iso())
            self.statuses.setdefault(sha, []).append(status)
            return status

    def combined_status(self, sha: str) -> tuple[str, list[CommitStatus]]:
        with self.lock:
            latest: dict[str, CommitStatus] = {}
            for status in self.statuses.get(sha, []):
                latest[status.context] = status
            statuses = sorted(latest.values(), key=lambda s: s.id, reverse=True)
            states = {s.state for s in statuses}
            if states & {"error", "failure"}:
                return "failure", statuses
            if not statuses or "pending" in states:
                return "pending", statuses  # GitHub says pending when there are no statuses at all
            return "success", statuses

    # --- branches -------------------------------------------------------------------------
    def delete_branch(self, branch: str) -> None:
        with self.lock:
            if not self.git.delete_branch(branch):
                raise ApiError(422, "Reference does not exist")
            for record in self.issues.values():  # GitHub closes the PRs whose head disappeared
                if record.is_pull and record.state == "open" and record.head == branch:
                    record.state, record.closed_at = "closed", now_iso()

    def commit_sha(self, ref: str) -> str:
        with self.lock:
            sha = self.git.resolve(ref) if re.fullmatch(r"[\w.][\w./-]*", ref) else None
            if sha is None:
                raise ApiError(422, f"No commit found for SHA: {ref}")
            return sha
