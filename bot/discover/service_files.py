"""A service's text files, read on first use: a run that has nothing to do for a service never reads them.

Picklable, so a worker process can read what it needs itself (from git by blob id, through one
`git cat-file --batch` per process) instead of the parent reading everything up front."""
from __future__ import annotations

import io
import os
import tokenize
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
    """path (service-relative) -> text. A Python file is decoded as Python reads it (BOM, PEP 263 coding
    line; `encodings` records the ones not in UTF-8); files that do not decode are left out and listed
    in `undecodable` with the encoding tried."""

    def __init__(self, sources: Mapping[str, str], read: BlobReader, loaded: Mapping[str, str] | None = None) -> None:
        self._sources = dict(sources)  # path -> what `read` takes (a blob id)
        self._read = read
        self._texts: dict[str, str] = dict(loaded or {})
        self._bad: dict[str, str] = {}  # path -> the encoding it is not in
        self.encodings: dict[str, str] = {}

    def add(self, path: str, source: str) -> None:
        """One more file (a shared file outside the service), read like the others."""
        self._sources[path] = source

    def source_id(self, path: str) -> str | None:
        return self._sources.get(path)

    def paths(self) -> list[str]:
        """Every file's path, read or not (iterating the mapping reads them all)."""
        return sorted(set(self._sources) | set(self._texts))

    def undecodable_as(self, path: str) -> str:
        """The encoding `path` was tried in and is not in ("" if it decoded)."""
        self._load(path)
        return self._bad.get(path, "")

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> ServiceFiles:
        return cls({}, _nothing, texts)

    def _load(self, path: str) -> str | None:
        if path in self._texts:
            return self._texts[path]
        if path in self._bad or path not in self._sources:
            return None
        data = self._read(self._sources[path])
        encoding = tokenize_encoding(data) if path.endswith(".py") else "utf-8"
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            self._bad[path] = encoding
            return None
        if encoding != "utf-8":
            self.encodings[path] = encoding
        self._texts[path] = text
        return text

    def __getitem__(self, path: str) -> str:
        text = self._load(path)
        if text is None:
            raise KeyError(path)
        return text

    def __setitem__(self, path: str, text: str) -> None:
        """Replace a file's text in memory (tests play a codemod this way); its encoding stays."""
        self._load(path)
        self._texts[path] = text
        self._bad.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        return iter(p for p in sorted(set(self._sources) | set(self._texts)) if self._load(p) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._load(path) is not None

    def undecodable(self) -> dict[str, str]:
        """path -> the encoding it is not in, for every file (reads them all)."""
        list(self)
        return dict(sorted(self._bad.items()))

    def loaded(self) -> int:
        """How many files were read so far (tests and benchmarks count this)."""
        return len(self._texts)


def _nothing(source: str) -> bytes:
    raise KeyError(source)


def tokenize_encoding(data: bytes) -> str:
    """A Python file's encoding as Python reads it: a BOM or a PEP 263 coding line, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec named in the coding line
        return "utf-8"
    return "utf-8" if encoding == "utf-8" else encoding


class Overlay(Mapping[str, str]):
    """`changes` (path -> new text) over `base` (a service's files), without reading base's other files:
    a lookup reads one file; only iterating reads them all (a ServiceFiles checks each one decodes)."""

    def __init__(self, base: Mapping[str, str], changes: Mapping[str, str]) -> None:
        self.base, self.changes = base, changes

    def __getitem__(self, path: str) -> str:
        return self.changes[path] if path in self.changes else self.base[path]

    def __contains__(self, path: object) -> bool:
        return path in self.changes or path in self.base

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self.base) | set(self.changes)))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def paths_of(files: Mapping[str, str]) -> list[str]:
    """Every path of a file mapping without reading the files (a file that does not decode included)."""
    return files.paths() if isinstance(files, ServiceFiles) else sorted(files)
