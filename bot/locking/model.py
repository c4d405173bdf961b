"""What the lock tools work on: the packages a change upgrades and one regeneration to run. Plain data."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upgrade:
    """A package the recipe moves, and to which exact version when the recipe names one."""

    name: str
    version: str | None = None

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

    @property
    def display(self) -> str:
        shown = list(self.argv)
        if shown[:3] == ["uv", "tool", "run"]:
            shown = shown[5:]  # "uv tool run --from poetry==X poetry lock" -> "poetry lock"
        return " ".join(shown)
