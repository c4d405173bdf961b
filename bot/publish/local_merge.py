"""`upgrade-bot local merge N`: a real merge commit on the base branch, as GitHub's merge button makes."""
from __future__ import annotations

from bot.config import Identity
from bot.errors import BotError
from bot.forge.local import LocalForge
from bot.gitops import GitRepo
from bot.killpoints import kill_point
from bot.publish.reconcile import mark_merged, merged_in_git


def merge_pr(repo: GitRepo, forge: LocalForge, number: int, identity: Identity) -> str:
    pr = forge.get_pr(number)
    if pr.state != "open":
        raise BotError(f"pull request #{number} is {pr.state}, not open")
    if pr.draft:  # as GitHub: 405 "Pull Request is still a draft"
        raise BotError(f"pull request #{number} is a draft: mark it ready first (upgrade-bot local ready {number})")
    repo.fetch()
    base_sha = repo.remote_head(pr.base)
    head_sha = repo.remote_head(pr.head)
    if base_sha is None or head_sha is None:
        raise BotError(f"pull request #{number}: branch {pr.base if base_sha is None else pr.head} is gone")
    already = merged_in_git(repo, pr, base_sha)
    if already:  # a merge killed after its push: finish it, never merge twice
        mark_merged(forge, pr, already)
        return already
    tree = repo.merge_tree(base_sha, head_sha)
    if tree is None:
        raise BotError(f"pull request #{number} conflicts with {pr.base}: run the bot again to regenerate it")
    message = f"Merge pull request #{number} from {pr.head}\n\n{pr.title}\n"
    merge_sha = repo.commit_tree(tree, [base_sha, head_sha], message, identity)
    repo.push(merge_sha, pr.base, base_sha)
    kill_point("merge-pushed")
    mark_merged(forge, pr, merge_sha)
    return merge_sha
