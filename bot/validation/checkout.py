"""Where check runs happen: one checkout of the whole repository for a validator's check runs, switched to each
commit it tests.

A check run needs the whole tree, not only its service: a suite may read any file of the repository (a root
`pytest.ini` or `conftest.py`, `-r ../../shared/base.txt`, a path dependency, fixtures under a shared folder, a
file found through `Path(__file__).parents[3]`). A partial checkout turns such a read into a failure on the base
and on the branch alike, which the comparison shows as "already failing", hiding what the migration broke.
What costs is writing the whole tree for every check run (0.6 s on the example fleet, more on a large monorepo):
a switch from one commit to the next writes only the files that differ, and `git clean` removes whatever a run
left behind, so each run still sees exactly its commit's tree."""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.gitops import GitError, GitRepo


class SharedCheckout:
    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.path: Path | None = None
        self._finalizer: weakref.finalize | None = None

    @contextmanager
    def at(self, sha: str) -> Iterator[Path]:
        """The checkout holding exactly sha's tree, for one check run."""
        if self.path is not None:
            try:
                self.repo.switch_worktree(self.path, sha)
            except GitError:  # a run left something git cannot remove (a read-only folder): start afresh
                self.close()
        if self.path is None:
            self.path = self.repo.add_worktree(sha)
            # an interpreter that exits without close() (an embedding program) still removes it
            self._finalizer = weakref.finalize(self, _remove, self.repo, self.path)
        yield self.path

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self.path, self._finalizer = None, None


def _remove(repo: GitRepo, path: Path) -> None:
    try:
        repo.remove_worktree(path)
    except GitError:
        pass  # already gone; a registration left behind is pruned by the next command (pid gone)
