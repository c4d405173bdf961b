"""State the local forge lost to a crash, recovered from git: git is the truth, the PR files follow it.

`local merge` pushes the merge commit, then marks the PR merged; killed in between, the PR stays open
although its head is in the base. Any later command marks it merged, with the merge commit found in git."""
from __future__ import annotations

from bot.forge.base import PullRequest
from bot.gitops import GitRepo
from bot.publish.pr_content import with_merge_sha
from bot.publish.render import read_marker


def merged_in_git(repo: GitRepo, pr: PullRequest, base_sha: str, in_base: set[str] | None = None) -> str | None:
    """The merge commit that brought this open PR's head into the base, or None when it is not merged.
    in_base: the remote branch tips the base contains, when the caller listed them (one process for all).

    A head that the PR's own base commit already contains carries no change (a branch reset to the
    base): that is not a merge."""
    head = repo.remote_head(pr.head)
    if head is None or head == base_sha:
        return None
    if not (head in in_base if in_base is not None else repo.is_ancestor(head, base_sha)):
        return None
    recorded_base = (read_marker(pr.body) or {}).get("base")
    if recorded_base and repo.is_ancestor(head, recorded_base):
        return None
    return repo.merge_of(head, base_sha)


def reconcile_local_merges(repo: GitRepo, forge, prs: list[PullRequest]) -> list[PullRequest]:
    """Marks merged every open PR whose head is merged into its base; returns the PRs, updated."""
    out = []
    in_base: dict[str, set[str]] = {}  # base sha -> the branch tips it contains
    for pr in prs:
        if pr.state == "open":
            base_sha = repo.remote_head(pr.base)
            if base_sha and base_sha not in in_base:
                in_base[base_sha] = repo.remote_heads_merged_into(base_sha)
            merge = merged_in_git(repo, pr, base_sha, in_base[base_sha]) if base_sha else None
            if merge:
                pr = mark_merged(forge, pr, merge)
        out.append(pr)
    return out


def mark_merged(forge, pr: PullRequest, merge_sha: str) -> PullRequest:
    """What `local merge` does after its push: the body's rollback command names the merge, then the state."""
    forge.update_pr(pr.number, body=with_merge_sha(pr.body, merge_sha))
    return forge.mark_merged(pr.number, merge_sha)
