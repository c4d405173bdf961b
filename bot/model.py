"""Plain data shared by the pure core (discovery, planning, rewriting, rendering)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Mapping

TIERS = ("low", "medium", "high", "critical")


def repo_path(service_path: str, relative: str) -> str:
    """A service file's repository path; the root service's path is ".". A file above the service
    (`../../pytest.ini`) gets its own path (`pytest.ini`)."""
    joined = relative if service_path == "." else f"{service_path}/{relative}"
    return posixpath.normpath(joined) if relative.startswith("../") else joined


@dataclass(frozen=True)
class ManualItem:
    """A call site the bot could not safely rewrite: one checklist line in the PR."""

    file: str  # path relative to the service directory
    line: int
    old_code: str
    reason: str
    rule: str
    suggestion: str | None = None


@dataclass(frozen=True)
class AppliedChange:
    """What one rewrite rule did to one file (the PR lists these per file)."""

    file: str
    rule: str
    description: str
    count: int = 1


@dataclass(frozen=True)
class RequirementEdit:
    """One edit of a service's declared dependencies.

    action: "set" (change the specifier where the package is declared),
            "add" (set, or append when missing), "replace" (package -> new_package),
            "remove".
    """

    action: str
    package: str
    spec: str = ""
    new_package: str = ""
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSource:
    """A service's text files, read from the base commit; codemods see nothing else."""

    name: str
    files: Mapping[str, str]  # posix path relative to the service dir -> text

    def python_files(self) -> dict[str, str]:
        return {p: t for p, t in self.files.items() if p.endswith(".py")}


@dataclass
class CodemodResult:
    changed: dict[str, str] = field(default_factory=dict)  # path -> new text
    applied: list[AppliedChange] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    requirement_edits: list[RequirementEdit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # explanations shown in the PR body
    # Why the recipe migrates nothing in this service (its manual items say where): code the new version
    # cannot run and the codemod cannot move, which the old version cannot run beside the new one either.
    held_back: str = ""
