"""The one interface every forge implements; the core never talks to a forge any other way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.errors import BotError
from bot.reviewers import Reviewers


@dataclass
class PullRequest:
    """A pull request as the forge reports it."""

    number: int
    title: str
    body: str
    head: str  # branch name, without owner
    base: str
    state: str  # "open", "closed" or "merged"
    labels: list[str] = field(default_factory=list)
    url: str = ""
    merge_sha: str | None = None
    draft: bool = False
    author: str = ""


@dataclass
class Comment:
    """A comment on a pull request."""

    id: int
    user: str
    body: str
    user_type: str = "User"  # "Bot" for bots: the loop guard reads this


@dataclass
class CheckResult:
    """Combined outcome of the checks on one commit: "success", "failure", "pending" or "none"."""

    state: str
    details: list[str] = field(default_factory=list)


class ForgeError(BotError):
    """A forge call failed after its retries; the message never contains a token."""


class Forge(Protocol):
    name: str

    def find_pr(self, head: str) -> PullRequest | None:
        """The newest PR (any state) whose head is this branch of this repository."""

    def list_prs(self, head_prefix: str) -> list[PullRequest]:
        """Every PR (any state) whose head branch starts with head_prefix."""

    def get_pr(self, number: int) -> PullRequest: ...

    def open_pr(
        self, *, head: str, base: str, title: str, body: str,
        labels: list[str], reviewers: list[str], draft: bool = False,
    ) -> PullRequest: ...

    def update_pr(
        self, number: int, *, title: str | None = None, body: str | None = None,
        labels: list[str] | None = None,
    ) -> PullRequest: ...

    def close_pr(self, number: int) -> None: ...

    def reopen_pr(self, number: int) -> None:
        """Reopen a closed (not merged) PR; its head branch must exist."""

    def comment(self, number: int, body: str) -> Comment: ...

    def list_comments(self, number: int) -> list[Comment]: ...

    def react(self, comment_id: int, reaction: str) -> None: ...

    def permission(self, user: str) -> str:
        """"admin", "maintain", "write", "triage", "read" or "none"."""

    def checks(self, sha: str) -> CheckResult: ...

    def reviewer_problems(self, reviewers: Reviewers) -> list[tuple[str, bool]]:
        """(one-line reason, fatal) for each reviewer this forge would refuse (fatal) or cannot check."""

    def publish_dashboard(self, title: str, body: str) -> str:
        """Create or update the one tracking issue (GitHub) or dashboard file (local); returns where."""

    def push_url(self) -> str | None:
        """The URL to push to, or None to push to the repository's own `origin`."""
