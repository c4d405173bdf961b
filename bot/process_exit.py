"""How the `upgrade-bot` program ends: like `sys.exit`, without freeing the heap object by object.

A run keeps every parsed libcst tree of the fleet (and its metadata) until the interpreter exits, and CPython's
teardown then deallocates those millions of nodes one at a time: 0.1-0.3 s of CPU on a first run of the example
fleet, for memory the operating system takes back at once. Only the program ends this way; `bot.cli.main`
called in-process (the tests, an embedding caller) returns as before."""
from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_program(status: object) -> NoReturn:
    """End the process with `status` (sys.exit's meaning), after everything sys.exit would do but the freeing."""
    if not isinstance(status, int) or _threads_to_wait_for() or _observed():
        sys.exit(status)  # a message to print, a thread to wait for, a profile to write: the ordinary way
    # what interpreter exit runs before its teardown, in its order: atexit handlers (logging.shutdown, the
    # multiprocessing and weakref.finalize cleanups), then the standard streams' buffers
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)  # a stream that cannot take its rest: let the interpreter report it as it always does
    os._exit(status & 0xFF)


def _observed() -> bool:
    """A profiler or tracer (cProfile, coverage) that writes its results after the program's code has run."""
    return sys.getprofile() is not None or sys.gettrace() is not None


def _threads_to_wait_for() -> bool:
    return any(thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
               for thread in threading.enumerate())
