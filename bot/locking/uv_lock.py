"""uv.lock: `uv lock --upgrade-package <name>==<version>` for the recipe's packages only, run on the lowest
Python the project's `requires-python` allows (uv needs one there, and looks for it only where uv looks)."""
from __future__ import annotations

from typing import Mapping, Sequence

from bot.locking.model import LockTask, Upgrade
from bot.locking.project_python import project_python

LOCK = "uv.lock"


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    """files: the service's files with the change applied (a raised `requires-python` included)."""
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    argv = ["uv", "lock"]
    for upgrade in upgrades:
        argv += ["--upgrade-package", upgrade.pinned]
    return LockTask("uv", LOCK, tuple(argv), inputs=("pyproject.toml",),
                    python=project_python(files["pyproject.toml"], poetry=False))
