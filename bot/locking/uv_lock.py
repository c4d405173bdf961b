"""uv.lock: `uv lock --upgrade-package <name>==<version>` for the recipe's packages only."""
from __future__ import annotations

from typing import Mapping, Sequence

from bot.locking.model import LockTask, Upgrade

LOCK = "uv.lock"


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    argv = ["uv", "lock"]
    for upgrade in upgrades:
        argv += ["--upgrade-package", upgrade.pinned]
    return LockTask("uv", LOCK, tuple(argv), inputs=("pyproject.toml",))
