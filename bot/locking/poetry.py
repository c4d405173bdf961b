"""poetry.lock: `poetry lock` by the Poetry generation that wrote the file (its lock-version: no format
churn in the PR), which keeps every locked version it can (Poetry 2's default; Poetry 1 needs --no-update).
Poetry takes no `--upgrade-package`: left to itself it locks the newest release the new constraint admits
(`^9.1.2` -> 9.9.0), so the lock is made with the recipe's packages pinned exactly first (`pin_first`)."""
from __future__ import annotations

import re
from typing import Mapping, Sequence

from bot.locking.tasks import LockTask, Upgrade

POETRY_1_1 = "1.2.2"  # the last to write lock-version 1.1 (Poetry 1.0-1.2)
POETRY_1 = "1.8.5"  # writes lock-version 2.0 (Poetry 1.3-1.8)
POETRY_2 = "2.2.1"  # writes lock-version 2.1
LOCK = "poetry.lock"


def generation(lock_text: str) -> str:
    """The pinned Poetry that keeps this file's format."""
    match = re.search(r'^lock-version\s*=\s*"([0-9.]+)"', lock_text, re.MULTILINE)
    written = match.group(1) if match else ""
    if written in ("1.0", "1.1"):
        return POETRY_1_1
    return POETRY_1 if written == "2.0" else POETRY_2


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    version = generation(files[LOCK])
    argv = ["uv", "tool", "run", "--from", f"poetry=={version}", "poetry", "lock"]
    if version != POETRY_2:
        argv.append("--no-update")
    return LockTask("poetry", LOCK, tuple(argv), inputs=("pyproject.toml",), pin_first=True)
