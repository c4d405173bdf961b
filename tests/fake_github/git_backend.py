"""The fake's view of the repository: a real bare git repo, so shas and merges are the real thing."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# GitHub writes merge commits as the merging user, committed by "GitHub"
_GITHUB_COMMITTER = {"GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}


class MergeConflict(Exception):
    pass


@dataclass
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author_name: str
    author_email: str
    author_date: str  # ISO 8601
    committer_name: str
    committer_email: str
    committer_date: str


class GitBackend:
    def __init__(self, bare_repo: Path) -> None:
        self.path = Path(bare_repo)

    def _git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True,
                              env=full_env, check=check)

    def branch_sha(self, branch: str) -> str | None:
        done = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", check=False)
        return done.stdout.strip() or None

    def resolve(self, ref: str) -> str | None:
        """A branch name or a (possibly abbreviated) commit sha -> the full commit sha."""
        for candidate in (f"refs/heads/{ref}", ref):
            done = self._git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", check=False)
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
        return None

    def count_commits(self, base_sha: str, head_sha: str) -> int:
        return int(self._git("rev-list", "--count", f"{base_sha}..{head_sha}").stdout.strip())

    def commit_info(self, sha: str) -> CommitInfo:
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
        fields = self._git("show", "-s", f"--format={fmt}", sha).stdout.split("\x00")
        return CommitInfo(sha=fields[0], tree=fields[1], parents=fields[2].split(), author_name=fields[3],
                          author_email=fields[4], author_date=fields[5], committer_name=fields[6],
                          committer_email=fields[7], committer_date=fields[8], message=fields[9].rstrip("\n"))

    def merge(self, base_branch: str, head_sha: str, message: str, method: str,
              author: tuple[str, str]) -> str:
        """Merge head into base the way GitHub's merge button does; returns the new base sha."""
        base_sha = self.branch_sha(base_branch)
        if base_sha is None:
            raise MergeConflict(f"base branch {base_branch} does not exist")
        done = self._git("merge-tree", "--write-tree", base_sha, head_sha, check=False)
        if done.returncode != 0:
            raise MergeConflict("merge conflict")
        tree = done.stdout.splitlines()[0].strip()
        parents = ["-p", base_sha] + (["-p", head_sha] if method == "merge" else [])
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], **_GITHUB_COMMITTER}
        new_sha = self._git("commit-tree", tree, *parents, "-m", message, env=env).stdout.strip()
        self._git("update-ref", f"refs/heads/{base_branch}", new_sha, base_sha)
        return new_sha

    def delete_branch(self, branch: str) -> bool:
        if self.branch_sha(branch) is None:
            return False
        self._git("update-ref", "-d", f"refs/heads/{branch}")
        return True
