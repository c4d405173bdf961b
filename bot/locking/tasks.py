"""Which lock files a change touches and the command that regenerates each. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from packaging.utils import canonicalize_name

from bot.model import RequirementEdit
from bot.service_files import paths_of
from bot.spec_style import exact_version


@dataclass(frozen=True)
class Upgrade:
    """A package the recipe moves, and to which exact version when the recipe names one."""

    name: str
    version: str | None = None
    replaces: str | None = None  # the package it replaces (a rename): a lock pinning that one is stale too

    @property
    def pinned(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


@dataclass(frozen=True)
class LockTask:
    tool: str  # poetry | uv | uv-pip-compile | pip-compile | hashes
    output: str  # service-relative file the tool writes
    argv: tuple[str, ...]  # "uv" as argv[0] means the uv binary the bot uses
    inputs: tuple[str, ...] = ()  # files whose change makes this lock stale
    stdout: bool = False  # the tool prints the file instead of writing it
    keep_base_output: bool = False  # the tool reads its previous output as preferences
    env: tuple[tuple[str, str], ...] = ()  # set for the tool (pip-tools takes its header command this way)
    pin_first: bool = False  # lock once with the upgrades pinned exactly, then as declared (Poetry: no --upgrade-package)
    cwd: str | None = None  # service-relative folder the tool runs in (default: the output's)

    @property
    def display(self) -> str:
        shown = list(self.argv)
        if shown[:3] == ["uv", "tool", "run"]:
            # "uv tool run --python 3.10 --from pip-tools==X --with pip==Y pip-compile ..." -> "pip-compile ..."
            shown = shown[3:]
            while shown and shown[0] in _TOOL_RUN_OPTIONS:
                shown = shown[2:]
        return " ".join(shown)


_TOOL_RUN_OPTIONS = ("--from", "--with", "--python")


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


def lock_tasks(before: Mapping[str, str], written: Mapping[str, str], upgrades: Sequence[Upgrade]) -> list[LockTask]:
    """The locks to regenerate when a change writes `written` over `before` (service-relative path -> text).

    Reads only the written files' old texts and the candidate pip-compile outputs: `before` may be a
    service's files, read from git on use."""
    from bot.locking import pip_compile, poetry, uv_lock

    if not upgrades:
        return []
    changed = {p for p, text in written.items() if before.get(p) != text}
    tasks: list[LockTask] = []
    for module in (poetry, uv_lock):
        task = module.task(before, upgrades)
        if task is not None and changed & set(task.inputs):
            tasks.append(task)
    names = {u.name for u in upgrades} | {u.replaces for u in upgrades if u.replaces}
    for rel in paths_of(before):
        if not rel.endswith(".txt") or rel not in before:  # only a pip-compile output is read
            continue
        task = pip_compile.task(rel, before, upgrades)
        if task is None:
            continue
        mentions = names & pip_compile.pinned_names(before[rel])
        if mentions or changed & set(task.inputs):
            tasks.append(task)
    return tasks
