"""Plain data shared by the pure core (discovery, planning, rewriting, rendering)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Collection, Mapping

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
    """What a codemod made of one service: new file texts, applied changes, manual items, requirement edits."""

    changed: dict[str, str] = field(default_factory=dict)  # path -> new text
    applied: list[AppliedChange] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    requirement_edits: list[RequirementEdit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # explanations shown in the PR body
    # Why the recipe migrates nothing in this service (its manual items say where): code the new version
    # cannot run and the codemod cannot move, which the old version cannot run beside the new one either.
    held_back: str = ""


# --- the verdict on a migration's validation -------------------------------------------------------
PASSED, FAILING, NO_TESTS, NOT_VALIDATED = "passed", "failing", "no tests ran", "could not validate"
KINDS = (PASSED, FAILING, NO_TESTS, NOT_VALIDATED)
# The PR label of each kind that is not passed; the labels are how `status` reads an open PR's verdict.
LABELS = {FAILING: "checks-failing", NO_TESTS: "no-tests-ran", NOT_VALIDATED: "not-validated"}


@dataclass(frozen=True)
class Verdict:
    """The one verdict on a migration's validation (computed by bot.validation.verdict, which documents the
    four kinds): the PR, its labels, `status`, the dashboard and the gate all read this."""

    kind: str
    cause: str = ""
    advice: str = ""
    failures: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown verdict {self.kind!r}")

    @property
    def passed(self) -> bool:
        return self.kind == PASSED

    @property
    def label(self) -> str | None:
        return LABELS.get(self.kind)

    def is_green(self, untested_is_green: bool = False) -> bool:
        return self.kind == PASSED or (untested_is_green and self.kind == NO_TESTS)

    def line(self) -> str:
        """One line for `run`'s summary, `status` and the gate: the kind and why."""
        if self.kind == FAILING:
            more = f" and {len(self.failures) - 1} more" if len(self.failures) > 1 else ""
            return f"{FAILING}: {self.failures[0]}{more}" if self.failures else FAILING
        return f"{self.kind}: {self.cause}" if self.cause else self.kind

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cause": self.cause, "advice": self.advice, "failures": list(self.failures)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(data["kind"], data.get("cause", ""), data.get("advice", ""), tuple(data.get("failures", ())))


def kind_from_labels(labels: Collection[str]) -> str:
    """An open PR's verdict as its labels say (a PR without a verdict label passed)."""
    for kind in (NOT_VALIDATED, FAILING, NO_TESTS):
        if LABELS[kind] in labels:
            return kind
    return PASSED
