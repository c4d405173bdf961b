"""A read-only view of the repository's files at one commit (or in memory, for tests)."""
from __future__ import annotations

import hashlib
from fnmatch import fnmatchcase
from typing import Iterable, Mapping, Protocol

from bot.discover.service_files import BlobReader


class Snapshot(Protocol):
    def paths(self) -> Iterable[str]:
        """Every file path (posix, repo-relative)."""

    def read(self, path: str) -> bytes: ...

    def blob_id(self, path: str) -> str:
        """What `reader()` takes to read this file later, in any process."""

    def reader(self) -> BlobReader: ...

    def tree_id(self, directory: str) -> str:
        """A content hash of everything under directory (git: its tree id)."""

    def link_target(self, path: str) -> str | None:
        """For a symbolic link, its target as stored (relative to the link's folder); else None."""


class MemoryBlobs:
    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files

    def __call__(self, path: str) -> bytes:
        return self.files[path]


class MemorySnapshot:
    def __init__(self, files: Mapping[str, bytes | str], links: Mapping[str, str] | None = None) -> None:
        self._files = {p: (v.encode() if isinstance(v, str) else v) for p, v in files.items()}
        self._links = dict(links or {})
        self._files.update({p: t.encode() for p, t in self._links.items()})  # git stores a link as its target

    def paths(self) -> Iterable[str]:
        return list(self._files)

    def read(self, path: str) -> bytes:
        return self._files[path]

    def blob_id(self, path: str) -> str:
        return path

    def reader(self) -> BlobReader:
        return MemoryBlobs(self._files)

    def tree_id(self, directory: str) -> str:
        digest = hashlib.sha1()
        for path in sorted(self._files) if directory in ("", ".") else files_under(self._files, directory):
            digest.update(path.encode() + b"\0" + self._files[path] + b"\0")
        return digest.hexdigest()

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


def files_by_dir(paths: Iterable[str], directories: Iterable[str]) -> dict[str, list[str]]:
    """directory -> the sorted paths under it, in one pass over paths (a fleet has thousands of each)."""
    wanted = {d.rstrip("/"): [] for d in directories}
    depths = sorted({d.count("/") + 1 for d in wanted})
    for path in paths:
        parts = path.split("/")
        for depth in depths:
            if depth < len(parts):
                found = wanted.get("/".join(parts[:depth]))
                if found is not None:
                    found.append(path)
    return {d: sorted(files) for d, files in wanted.items()}


def files_under(paths: Iterable[str], directory: str) -> list[str]:
    prefix = directory.rstrip("/") + "/"
    return sorted(p for p in paths if p.startswith(prefix))
