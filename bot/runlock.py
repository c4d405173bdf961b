"""One bot process per repository at a time: .git/upgrade-bot/run.lock names its holder.

Two runs at once (a cron overlapping a manual run) race on the same branches and PRs; the second one
stops at once with one line naming the holder. A lock whose holder died (same host, pid gone: kill -9,
a crash, a reboot) is stale and taken over."""
from __future__ import annotations

import errno
import json
import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.errors import BotError

LOCK_FILE = "run.lock"


class LockHeld(BotError):
    """Another live upgrade-bot process holds this repository's lock."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _read_holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # half-written by a process killed mid-write: stale


def _is_stale(holder: dict) -> bool:
    if not holder.get("pid") or not holder.get("host"):
        return True
    return holder["host"] == _host() and not pid_alive(int(holder["pid"]))


def _host() -> str:
    # the kernel's node name, as socket.gethostname() gives it, without importing socket for it (~2 ms of CPU
    # each run; platform is already loaded, by packaging)
    return platform.node()


def describe(holder: dict) -> str:
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.get("started", 0)))
    return (f"pid {holder.get('pid')} on {holder.get('host')} "
            f"(`upgrade-bot {holder.get('command', '?')}`, since {since})")


@contextmanager
def repo_lock(state_dir: Path, command: str) -> Iterator[None]:
    """Hold the repository's lock for the block; LockHeld when a live process has it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    mine = {"pid": os.getpid(), "host": _host(), "command": command, "started": time.time()}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise BotError(f"{path}: cannot create the lock file: {exc.strerror}") from None
            holder = _read_holder(path)
            if holder is None:
                continue  # released between our open and our read
            if not _is_stale(holder):
                raise LockHeld(f"another upgrade-bot run holds {path}: {describe(holder)}; "
                               f"try again when it ends") from None
            _take_over(path, holder)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(mine, handle)
        break
    else:
        raise LockHeld(f"{path}: could not take the lock (it changed hands three times); try again")
    try:
        yield
    finally:
        if (_read_holder(path) or {}).get("pid") == mine["pid"]:
            path.unlink(missing_ok=True)


def _take_over(path: Path, stale: dict) -> None:
    """Remove a stale lock, unless another process took it over first (then its new lock stays)."""
    claim = path.with_name(f"{LOCK_FILE}.takeover")
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        # someone else is taking it over; a claim left by a killed process goes after a minute
        try:
            if time.time() - claim.stat().st_mtime > 60:
                claim.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
        return
    os.close(fd)
    try:
        if _read_holder(path) == stale:
            path.unlink(missing_ok=True)
    finally:
        claim.unlink(missing_ok=True)
