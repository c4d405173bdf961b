"""A service's text files, read on first use: a run that has nothing to do for a service never reads them.

Picklable, so a worker process can read what it needs itself (from git by blob id, through one
`git cat-file --batch` per process) instead of the parent reading everything up front."""
from __future__ import annotations

import atexit
import contextlib
import io
import os
import subprocess
import tempfile
import threading
import tokenize
from typing import Callable, Iterable, Iterator, Mapping, Sequence

BlobReader = Callable[[str], bytes]


class GitBlobs:
    """Reads objects of one repository by id; picklable (each process starts its own reader)."""

    _open: dict[tuple[int, str], _CatFile] = {}
    _opening = threading.Lock()
    OPEN_AT_MOST = 16  # readers one process keeps (a test session or an embedding program opens many repositories)

    def __init__(self, git_dir: str, repeated: Iterable[str] = ()) -> None:
        self.git_dir = git_dir
        # objects a commit holds at several paths (empty __init__.py files, a helper copied into every service): read
        # from git once, kept (only these) while this reader is in use; id -> content once read
        self._repeated: dict[str, bytes | None] = dict.fromkeys(repeated)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_repeated": dict.fromkeys(self._repeated)}  # a worker reads them itself

    def __call__(self, blob_id: str) -> bytes:
        return self.read_many([blob_id])[0]

    def read_many(self, object_ids: Sequence[str]) -> list[bytes]:
        """Each object's content, in order, in one round trip per chunk of ids (not one per object); ValueError, as
        GitPython's reader says it, for an id git does not have."""
        kept = self._repeated
        wanted = list(dict.fromkeys(i for i in object_ids if kept.get(i) is None))
        found = dict(zip(wanted, self._reader().read(wanted))) if wanted else {}
        for object_id, (kind, data) in found.items():
            if kind is None:  # data: git's line for it (`<id> missing`), quoted as bytes as GitPython did
                said = data.split() or [b""]
                raise ValueError("SHA %s could not be resolved, git returned: %r" % (said[0], data.strip()))
            if object_id in kept:
                kept[object_id] = data
        return [found[i][1] if i in found else kept[i] for i in object_ids]

    def read_object(self, object_id: str) -> tuple[str | None, bytes]:
        """(type, content) of an object; (None, git's line) when git has no such object."""
        return self._reader().read([object_id])[0]

    def _reader(self) -> _CatFile:
        # keyed by pid: a forked worker must not share the parent's pipes
        key = (os.getpid(), self.git_dir)
        reader = self._open.get(key)
        if reader is None or reader.closed:
            with self._opening:
                reader = self._open.get(key)
                if reader is None or reader.closed:
                    for other in [k for k in self._open if k[0] != key[0]]:  # a forked worker's copies of its parent's
                        self._open.pop(other).forget()
                    if len(self._open) >= self.OPEN_AT_MOST:
                        self._open.pop(next(iter(self._open))).close()
                    reader = self._open[key] = _CatFile(self.git_dir)
        return reader


@atexit.register
def _close_readers() -> None:
    for key in [k for k in GitBlobs._open if k[0] == os.getpid()]:
        GitBlobs._open.pop(key).close()


class _CatFile:
    """One `git cat-file --batch` process, fed many ids at once. GitPython's persistent reader answers one object per
    call through several layers (a write, a flush and a header parse each): a run reads every service's files, and
    that per-object cost was most of what reading them cost."""

    CHUNK = 256  # ids written at once: ~10 KB, less than any pipe buffer, so writing never waits on our reading

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self._errors = tempfile.TemporaryFile()  # git's stderr, read if it ends (a pipe nobody reads could fill)
        self._process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=git_dir, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._errors)
        self._lock = threading.Lock()
        self.closed = False

    def read(self, object_ids: Sequence[str]) -> list[tuple[str | None, bytes]]:
        """(type, content) per id; (None, git's line) for an object git does not have. A reader that fails is
        closed (the next read starts another) and the failure raised (ValueError when git's answer is cut)."""
        for object_id in object_ids:  # one id per line: an embedded line feed would put every later answer off by one
            if "\n" in object_id:
                raise ValueError(f"Object name {object_id!r} contains a line feed")
        found: list[tuple[str | None, bytes]] = []
        with self._lock:
            try:
                for at in range(0, len(object_ids), self.CHUNK):
                    chunk = object_ids[at:at + self.CHUNK]
                    self._process.stdin.write("".join(f"{i}\n" for i in chunk).encode())
                    self._process.stdin.flush()
                    found += [self._answer() for _ in chunk]
            except BaseException:
                self.close()
                raise
        return found

    def _answer(self) -> tuple[str | None, bytes]:
        out = self._process.stdout
        header = out.readline()
        fields = header.split()
        if len(fields) != 3:
            if not header.endswith(b"\n"):
                raise ValueError(self._ended())
            return None, header  # `<id> missing` (or ambiguous): no content follows
        size = int(fields[2])
        data = out.read(size)
        if len(data) != size or out.read(1) != b"\n":
            raise ValueError(self._ended())
        return fields[1].decode(), data

    def _ended(self) -> str:
        said = " ".join(self.close().split())
        return f"git cat-file --batch in {self.git_dir} ended: {said or f'exit status {self._process.returncode}'}"

    def close(self) -> str:
        """Ends the process and reaps it; what it wrote on stderr. Terminated, not left to the end of its input:
        a worker forked meanwhile may hold a copy of that input open."""
        if self.closed:
            return ""
        self._process.terminate()
        self._process.wait()
        self._errors.seek(0)
        said = self._errors.read().decode("utf-8", "replace")
        self.forget()
        return said

    def forget(self) -> None:
        """Closes this process's ends of the pipes (in a forked worker: its copies; the parent's reader goes on)."""
        self.closed = True
        for end in (self._process.stdin, self._process.stdout, self._errors):
            with contextlib.suppress(OSError):
                end.close()


class ServiceFiles(Mapping[str, str]):
    """path (service-relative) -> text. A Python file is decoded as Python reads it (BOM, PEP 263 coding
    line; `encodings` records the ones not in UTF-8); files that do not decode are left out and listed
    in `undecodable` with the encoding tried."""

    def __init__(self, sources: Mapping[str, str], read: BlobReader, loaded: Mapping[str, str] | None = None) -> None:
        self._sources = dict(sources)  # path -> what `read` takes (a blob id)
        self._read = read
        self._texts: dict[str, str] = dict(loaded or {})
        self._bad: dict[str, str] = {}  # path -> the encoding it is not in
        self._all_read = False  # every source is in _texts or _bad
        self.encodings: dict[str, str] = {}

    def add(self, path: str, source: str) -> None:
        """One more file (a shared file outside the service), read like the others."""
        self._sources[path] = source
        self._all_read = False

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
        return self._decode(path, self._read(self._sources[path]))

    def _load_all(self) -> None:
        """Every file not read yet, read together: one round trip to git for them all rather than one each."""
        if self._all_read:
            return
        self.read_together(sorted(self._sources))
        self._all_read = True

    def read_together(self, paths: Iterable[str]) -> None:
        """Reads those of these files not read yet, in one round trip to git rather than one each."""
        unread = [p for p in paths if p in self._sources and p not in self._texts and p not in self._bad]
        if unread:
            for path, data in zip(unread, _read_many(self._read, [self._sources[p] for p in unread])):
                self._decode(path, data)

    def _decode(self, path: str, data: bytes) -> str | None:
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
        self._load_all()
        return iter(sorted(self._texts))  # all read: the files that decode (and any set in memory) are these

    def __len__(self) -> int:
        self._load_all()
        return len(self._texts)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._load(path) is not None

    def undecodable(self) -> dict[str, str]:
        """path -> the encoding it is not in, for every file (reads them all)."""
        self._load_all()
        return dict(sorted(self._bad.items()))

    def loaded(self) -> int:
        """How many files were read so far (tests and benchmarks count this)."""
        return len(self._texts)


def _read_many(read: BlobReader, sources: Sequence[str]) -> list[bytes]:
    """What `read` gives for each source, in one go when it can (a GitBlobs)."""
    return read.read_many(sources) if isinstance(read, GitBlobs) else [read(source) for source in sources]


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
