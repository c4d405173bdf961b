"""uv.lock: `uv lock --upgrade-package <name>==<version>` for the recipe's packages only, run on the lowest
Python the project's `requires-python` allows (uv needs one there, and looks for it only where uv looks).

By the uv generation that writes the lock's format revision: a newer uv rewrites the whole file in its own
revision (`revision = 1` -> `5`, an `upload-time` on every artifact), hundreds of lines the upgrade never meant
to touch. bot.locking.run uses the bot's own uv instead when it writes that same revision."""
from __future__ import annotations

import re
from typing import Mapping, Sequence

from bot.locking.model import LockTask, Upgrade
from bot.locking.project_python import project_python

LOCK = "uv.lock"
# The newest uv writing each revision of lock format version 1 (0: no `revision` line), found by running each
# release on the same project: 0.6.0 wrote the first `revision`, 0.6.15 the second (upload times), 0.8.4 the
# third, 0.12.22 the fifth.
GENERATIONS = {0: "0.5.31", 1: "0.6.14", 2: "0.8.3", 3: "0.12.21", 5: "0.13.9"}

_FIELD = re.compile(r"^(version|revision)\s*=\s*(\d+)\s*$", re.MULTILINE)


def lock_revision(lock_text: str) -> int | None:
    """The format revision of a version-1 uv.lock (0 when it has none); None for another format version."""
    header = lock_text.split("[[", 1)[0]
    fields = {name: int(value) for name, value in _FIELD.findall(header)}
    if fields.get("version") != 1:
        return None
    return fields.get("revision", 0)


def generation(lock_text: str) -> str:
    """The uv release that rewrites this lock in its own format ("" when no known one does: the bot's uv)."""
    revision = lock_revision(lock_text)
    return GENERATIONS.get(revision, "") if revision is not None else ""


def task(files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    """files: the service's files with the change applied (a raised `requires-python` included)."""
    if LOCK not in files or "pyproject.toml" not in files:
        return None
    version = generation(files[LOCK])
    argv = ["uv", "tool", "run", "--from", f"uv=={version}", "uv", "lock"] if version else ["uv", "lock"]
    for upgrade in upgrades:
        argv += ["--upgrade-package", upgrade.pinned]
    return LockTask("uv", LOCK, tuple(argv), inputs=("pyproject.toml",),
                    python=project_python(files["pyproject.toml"], poetry=False))
