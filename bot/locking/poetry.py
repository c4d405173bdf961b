"""poetry.lock: `poetry lock` by the Poetry generation that wrote the file, which keeps every
locked version it can (Poetry 2's default; Poetry 1 needs --no-update)."""
from __future__ import annotations

import re
from typing import Mapping, Sequence

from bot.locking.model import LockTask, Upgrade

POETRY_1 = "1.8.5"  # writes lock-version 2.0
POETRY_2 = "2.2.1"  # writes lock-version 2.1
LOCK = "poetry.lock"


def generation(lock_text: str) -> str:
    """The pinned Poetry that keeps this file's format."""
    match = re.search(r'^lock-version\s*=\s*"([0-9.]+)"', lock_text, re.MULTILINE)
    return POETRY_1 if match and match.group(1) == "2.0" else POETRY_2


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    version = generation(files[LOCK])
    argv = ["uv", "tool", "run", "--from", f"poetry=={version}", "poetry", "lock"]
    if version == POETRY_1:
        argv.append("--no-update")
    return LockTask("poetry", LOCK, tuple(argv), inputs=("pyproject.toml",))
