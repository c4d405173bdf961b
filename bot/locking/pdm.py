"""pdm.lock: `pdm lock --update-reuse`, which keeps every pin the new constraints still allow."""
from __future__ import annotations

from typing import Mapping, Sequence

from bot.locking.tasks import LockTask, Upgrade

PDM = "2.26.1"
LOCK = "pdm.lock"


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    argv = ("uv", "tool", "run", "--from", f"pdm=={PDM}", "pdm", "lock", "--update-reuse")
    return LockTask("pdm", LOCK, argv, inputs=("pyproject.toml",))
