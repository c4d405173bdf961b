"""A recipe's exact target (`==9.1.2`) written in the style of the declaration it replaces. Pure.

An exact pin stays exact; a range keeps its shape with the new version as lower bound and an upper
bound moved just enough, at the same granularity (`>=8,<9` -> `>=9.1.2,<10`); Poetry's caret and
tilde stay (`^8.2` -> `^9.1.2`); a bare name in a library's runtime dependencies gets a lower bound,
never `==` (exact pins are for applications and test extras). A spec the bot cannot read as one of
these shapes gets the recipe's spec unchanged.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Sequence

import tomlkit
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import TOMLKitError

from bot.model import RequirementEdit

RUNTIME_SECTIONS = ("project.dependencies", "tool.poetry.dependencies", "install_requires")
SETUP_FILES = ("setup.py", "setup.cfg")  # always a package others install
_EXACT_RE = re.compile(r"^==\s*([0-9][0-9A-Za-z.!+-]*)$")


def exact_version(spec: str) -> str | None:
    """"9.1.2" for "==9.1.2"; None for anything else."""
    match = _EXACT_RE.match(spec.strip())
    return match.group(1) if match else None


def is_library(pyproject: dict[str, Any]) -> bool:
    """A package others install: named project metadata with a build backend (Poetry: not package-mode = false)."""
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if poetry.get("package-mode") is False:
        return False
    named = bool(pyproject.get("project", {}).get("name") or poetry.get("name"))
    return named and "build-system" in pyproject


def styled_spec(current: str, target: str, *, poetry: bool, library_runtime: bool, renamed: bool = False) -> str:
    """The spec to write where `current` is declared, for a recipe that wants `target`."""
    version = exact_version(target)
    if version is None:
        return target
    current = current.strip()
    if current in ("", "*"):
        return f">={version}" if library_runtime else target
    if poetry and current[0] in "^~" and not current.startswith("~="):
        return current[0] + version
    if poetry and re.match(r"^[0-9]", current):
        return target  # a bare Poetry version is an exact pin
    if exact_version(current) is not None or current.startswith("==="):
        return target
    if renamed:  # another package's bounds say nothing about the new one's versions
        return f">={version}" if library_runtime else target
    return _ranged(current, version) or target


def _ranged(current: str, version: str) -> str | None:
    try:
        clauses = list(SpecifierSet(current.replace(" ", "")))
        new = Version(version)
    except (InvalidSpecifier, InvalidVersion):
        return None
    ordered = _in_written_order(current, clauses)
    out: list[str] = []
    lower_written = False
    for clause in ordered:
        op, bound = clause.operator, clause.version
        if op in (">=", ">"):
            if not lower_written:
                out.append(f">={version}")
                lower_written = True
        elif op == "~=":
            parts = len(bound.split("."))
            if parts == len(new.release):
                out.append(f"~={version}")
            else:
                out.append(f">={version}")
                out.append(f"<{_next(new, parts - 1)}")
            lower_written = True
        elif op in ("<", "<="):
            out.append(str(clause) if clause.contains(new) else f"<{_next_bound(new, bound)}")
        elif op == "==" and bound.endswith(".*"):
            parts = len(bound[:-2].split("."))
            out.append(str(clause) if clause.contains(new) else f"=={'.'.join(map(str, new.release[:parts]))}.*")
        elif op == "!=":
            if clause.contains(new):
                out.append(str(clause))
        else:
            return None
    if not lower_written:
        out.insert(0, f">={version}")
    separator = ", " if ", " in current else ","
    return separator.join(out)


def _in_written_order(text: str, clauses: list[Specifier]) -> list[Specifier]:
    compact = text.replace(" ", "")
    return sorted(clauses, key=lambda c: compact.find(f"{c.operator}{c.version}"))


def _next_bound(version: Version, bound: str) -> str:
    """A new upper bound as coarse as the old one: `<0.22.0` capped the next minor (its trailing zero is no
    patch granularity), so 1.3.0 gets `<1.4.0`, written with as many components as the old bound."""
    written = bound.split(".")
    significant = len(written)
    while significant > 1 and written[significant - 1] == "0":
        significant -= 1
    parts = _next(version, significant).split(".")
    return ".".join(parts + ["0"] * (len(written) - len(parts)))


def _next(version: Version, parts: int) -> str:
    """The smallest release above `version` at `parts` components: (9.1.2, 1) -> 10, (9.1.2, 2) -> 9.2."""
    parts = max(parts, 1)
    release = list(version.release[:parts]) + [0] * (parts - len(version.release[:parts]))
    release[-1] += 1
    return ".".join(map(str, release))


def styled_edits(service, file: str, edits: Sequence[RequirementEdit]) -> list[RequirementEdit]:
    """The recipe's edits for one of the service's files, each spec in the style already written there."""
    library = file in SETUP_FILES
    if file == "pyproject.toml":
        try:
            library = is_library(tomlkit.parse(service.files.get(file, "")).unwrap())
        except TOMLKitError:
            library = False
    out = []
    for edit in edits:
        declared = [d for d in service.declarations if d.file == file and d.name == canonicalize_name(edit.package)]
        if edit.action == "add" and not declared and library:
            # a package the recipe adds to a library lands in its runtime dependencies: a floor, never `==`
            out.append(dataclasses.replace(edit, spec=styled_spec("", edit.spec, poetry=False, library_runtime=True)))
            continue
        if edit.action not in ("set", "add", "replace") or not declared:
            out.append(edit)
            continue
        declared.sort(key=lambda d: d.section not in RUNTIME_SECTIONS)  # the runtime declaration decides
        decl = declared[0]
        spec = styled_spec(decl.spec, edit.spec, poetry=decl.section.startswith("tool.poetry"),
                           library_runtime=library and decl.section in RUNTIME_SECTIONS,
                           renamed=edit.action == "replace")
        out.append(dataclasses.replace(edit, spec=spec))
    return out
