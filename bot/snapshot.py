"""A read-only view of the repository's files at one commit (or in memory, for tests)."""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable, Mapping, Protocol


class Snapshot(Protocol):
    def paths(self) -> Iterable[str]:
        """Every file path (posix, repo-relative)."""

    def read(self, path: str) -> bytes: ...

    def link_target(self, path: str) -> str | None:
        """For a symbolic link, its target as stored (relative to the link's folder); else None."""


class MemorySnapshot:
    def __init__(self, files: Mapping[str, bytes | str], links: Mapping[str, str] | None = None) -> None:
        self._files = {p: (v.encode() if isinstance(v, str) else v) for p, v in files.items()}
        self._links = dict(links or {})
        self._files.update({p: t.encode() for p, t in self._links.items()})  # git stores a link as its target

    def paths(self) -> Iterable[str]:
        return list(self._files)

    def read(self, path: str) -> bytes:
        return self._files[path]

    def link_target(self, path: str) -> str | None:
        return self._links.get(path)


def glob_dirs(paths: Iterable[str], pattern: str) -> list[str]:
    """Directories (parents of some file) whose path matches pattern part by part ('*' never crosses '/')."""
    want = pattern.strip("/").split("/")
    dirs = set()
    for path in paths:
        parts = path.split("/")[:-1]
        if len(parts) >= len(want) and all(fnmatchcase(p, w) for p, w in zip(parts, want)):
            dirs.add("/".join(parts[: len(want)]))
    return sorted(dirs)


def files_under(paths: Iterable[str], directory: str) -> list[str]:
    prefix = directory.rstrip("/") + "/"
    return sorted(p for p in paths if p.startswith(prefix))
