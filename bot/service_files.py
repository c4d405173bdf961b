"""A service's text files, read on first use: a run that has nothing to do for a service never reads them.

Picklable, so a worker process can read what it needs itself (from git by blob id, through one
`git cat-file --batch` per process) instead of the parent reading everything up front."""
from __future__ import annotations

import os
from typing import Callable, Iterator, Mapping

import git

BlobReader = Callable[[str], bytes]


class GitBlobs:
    """Reads blobs of one repository by id; picklable (each process opens the repository itself)."""

    _open: dict[tuple[int, str], git.Repo] = {}

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir

    def __call__(self, blob_id: str) -> bytes:
        # keyed by pid: a forked worker must not share the parent's cat-file pipes
        key = (os.getpid(), self.git_dir)
        repo = self._open.get(key)
        if repo is None:
            repo = self._open[key] = git.Repo(self.git_dir)
        return repo.odb.stream(bytes.fromhex(blob_id)).read()


class ServiceFiles(Mapping[str, str]):
    """path (service-relative) -> text. Files that are not UTF-8 are left out and listed in `undecodable`."""

    def __init__(self, sources: Mapping[str, str], read: BlobReader, loaded: Mapping[str, str] | None = None) -> None:
        self._sources = dict(sources)  # path -> what `read` takes (a blob id)
        self._read = read
        self._texts: dict[str, str] = dict(loaded or {})
        self._bad: set[str] = set()

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> ServiceFiles:
        return cls({}, _nothing, texts)

    def _load(self, path: str) -> str | None:
        if path in self._texts:
            return self._texts[path]
        if path in self._bad or path not in self._sources:
            return None
        try:
            text = self._read(self._sources[path]).decode("utf-8")
        except UnicodeDecodeError:
            self._bad.add(path)
            return None
        self._texts[path] = text
        return text

    def __getitem__(self, path: str) -> str:
        text = self._load(path)
        if text is None:
            raise KeyError(path)
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(p for p in sorted(set(self._sources) | set(self._texts)) if self._load(p) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._load(path) is not None

    def undecodable(self) -> list[str]:
        list(self)  # loads everything
        return sorted(self._bad)

    def loaded(self) -> int:
        """How many files were read so far (tests and benchmarks count this)."""
        return len(self._texts)


def _nothing(source: str) -> bytes:
    raise KeyError(source)
