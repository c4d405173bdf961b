"""Which lock files a change touches and the command that regenerates each. Pure."""
from __future__ import annotations

from typing import Mapping, Sequence

from packaging.utils import canonicalize_name

from bot.declared.spec_style import exact_version
from bot.discover.service_files import Overlay, paths_of
from bot.locking import pip_compile, poetry, uv_lock
from bot.locking.model import LockTask, Upgrade
from bot.model import RequirementEdit


def upgrades_of(edits: Sequence[RequirementEdit]) -> list[Upgrade]:
    out: dict[str, Upgrade] = {}
    for edit in edits:
        if edit.action in ("set", "add"):
            name = edit.package
        elif edit.action == "replace":
            name = edit.new_package
        else:
            continue
        replaces = canonicalize_name(edit.package) if edit.action == "replace" else None
        out[canonicalize_name(name)] = Upgrade(canonicalize_name(name), exact_version(edit.spec),
                                               replaces if replaces != canonicalize_name(name) else None)
    return list(out.values())


def lock_tasks(before: Mapping[str, str], written: Mapping[str, str], upgrades: Sequence[Upgrade],
               python_floor: str = "") -> list[LockTask]:
    """The locks to regenerate when a change writes `written` over `before` (service-relative path -> text).
    python_floor: the oldest Python the new versions install on (the recipe's), for files made for one Python.

    Reads only the written files' old texts and the candidate pip-compile outputs: `before` may be a
    service's files, read from git on use."""
    if not upgrades:
        return []
    changed = {p for p, text in written.items() if before.get(p) != text}
    tasks: list[LockTask] = []
    for module in (poetry, uv_lock):
        task = module.task(Overlay(before, written), upgrades)
        if task is not None and changed & set(task.inputs):
            tasks.append(task)
    names = {u.name for u in upgrades} | {u.replaces for u in upgrades if u.replaces}
    for rel in paths_of(before):
        if not rel.endswith(".txt") or rel not in before:  # only a pip-compile output is read
            continue
        task = pip_compile.task(rel, before, upgrades, python_floor)
        if task is None:
            continue
        mentions = names & pip_compile.pinned_names(before[rel])
        if mentions or changed & set(task.inputs):
            tasks.append(task)
    return tasks
