"""Stands in for GitHub when it cannot be reached (no token, no repository name) in the commands that only
read the repository: `plan` and `run --dry-run` work from git alone, say what they could not read, and
never write. Any other forge call fails with the reason."""
from __future__ import annotations

from bot.forge.base import ForgeError, PullRequest


class OfflineForge:
    name = "github"

    def __init__(self, why: str) -> None:
        self.why = why  # e.g. "no GitHub token: set UPGRADE_BOT_TOKEN or GITHUB_TOKEN"

    def notes(self) -> list[str]:
        return [f"pull requests were not read ({self.why}): jobs whose upgrade already landed are not shown",
                f"reviewers were not checked ({self.why})"]

    def list_prs(self, head_prefix: str) -> list[PullRequest]:
        return []

    def push_url(self) -> str | None:
        return None  # fetch from `origin`, with the user's own git credentials

    def reviewer_problems(self, reviewers) -> list[tuple[str, bool]]:
        return []

    def _unavailable(self, *args, **kwargs):
        raise ForgeError(f"GitHub is not available here: {self.why}")

    # every call that needs GitHub itself
    find_pr = get_pr = open_pr = update_pr = close_pr = reopen_pr = _unavailable
    comment = list_comments = react = permission = checks = publish_dashboard = _unavailable
