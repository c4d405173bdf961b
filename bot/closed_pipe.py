"""Output to a reader that may leave early (`upgrade-bot status | head -1`): not an error.

What the reader no longer takes is dropped, and the command runs to its end, so its exit code is its own
(a `run` whose jobs failed still exits 1 when its summary went to `head`)."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, TextIO


class _ReaderMayLeave:
    """A text stream whose writes and flushes after the reader closed the pipe go to /dev/null."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        # the descriptor now points at /dev/null: the buffered rest, later writes, child processes and the
        # interpreter's flush at exit all go there instead of failing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """sys.stdout and sys.stderr tolerate a closed pipe while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ReaderMayLeave(sys.stdout), _ReaderMayLeave(sys.stderr)
    try:
        yield
    finally:  # also after SystemExit (--version, --help): a closed pipe surfaces here, not at interpreter exit
        sys.stdout.flush()
        sys.stdout, sys.stderr = saved
