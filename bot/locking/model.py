"""What the lock tools work on: the packages a change upgrades and one regeneration to run. Plain data."""
from __future__ import annotations

from dataclasses import dataclass


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
    """One lock file to regenerate, and the tool command that writes it."""

    tool: str  # poetry | uv | uv-pip-compile | pip-compile | hashes
    output: str  # service-relative file the tool writes
    argv: tuple[str, ...]  # "uv" as argv[0] means the uv binary the bot uses
    inputs: tuple[str, ...] = ()  # files whose change makes this lock stale
    stdout: bool = False  # the tool prints the file instead of writing it
    keep_base_output: bool = False  # the tool reads its previous output as preferences
    env: tuple[tuple[str, str], ...] = ()  # set for the tool (pip-tools takes its header command this way)
    pin_first: bool = False  # lock once with the upgrades pinned exactly, then as declared (Poetry: no --upgrade-package)
    cwd: str | None = None  # service-relative folder the tool runs in (default: the output's)
    # the Python the tool runs on ("3.10", ">=3.12"), found as validation finds its interpreters; "": uv's choice
    python: str = ""
    # the Python the file was made for, when it cannot be made for that one any more (the new version needs a newer
    # one) and this task makes it for the recipe's Python floor instead: the PR lists it ("": not raised)
    raised_from: str = ""

    @property
    def display(self) -> str:
        shown = list(self.argv)
        if shown[:3] == ["uv", "tool", "run"]:
            # "uv tool run --from pip-tools==X --with pip==Y pip-compile ..." -> "pip-compile ..."
            shown = shown[3:]
            while shown and shown[0] in _TOOL_RUN_OPTIONS:
                shown = shown[2:]
        return " ".join(shown)


_TOOL_RUN_OPTIONS = ("--from", "--with", "--python")
