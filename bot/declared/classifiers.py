"""Trove classifiers that name a Python version a new library no longer installs on
(`Programming Language :: Python :: 3.8` when it needs 3.9), and dropping them where the declaration can be
edited as written: pyproject.toml's [project] and [tool.poetry] `classifiers` arrays (tomlkit), setup.cfg's
[metadata] `classifiers` continuation lines (as text, every other byte kept). setup.py's are libcst nodes of
the service's parsed tree: bot.change.python_floor removes them through the file's edit plan, with
`setup_py_classifiers` finding them. Pure: text in, text out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

import tomlkit
from packaging.version import Version
from tomlkit.exceptions import TOMLKitError

from bot.declared.ini_text import IniSection

CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)")
_EXACT = re.compile(rf"^{CLASSIFIER.pattern}$")


def excluded_version(classifier: str, floor: str) -> str | None:
    """"3.8" when `classifier` is exactly the Python 3.8 classifier and 3.8 is older than `floor`."""
    match = _EXACT.match(classifier.strip())
    return match.group(1) if match and Version(match.group(1)) < Version(floor) else None


@dataclass(frozen=True)
class DroppedClassifier:
    """A Python version classifier removed because the new floor excludes it."""

    line: int  # 1-based, in the file as it was
    version: str  # "3.8"


@dataclass
class ClassifierEdit:
    """A file after its Python classifiers below the floor were dropped."""

    text: str
    dropped: list[DroppedClassifier] = field(default_factory=list)


def drop_from_pyproject(text: str, floor: str) -> ClassifierEdit:
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return ClassifierEdit(text)
    dropped: list[str] = []
    for owner in (document.get("project"), document.get("tool", {}).get("poetry")):
        classifiers = owner.get("classifiers") if owner is not None else None
        if not isinstance(classifiers, list):
            continue
        for index in reversed(range(len(classifiers))):
            value = classifiers[index]
            if isinstance(value, str) and excluded_version(str(value), floor):
                dropped.append(str(value))
                del classifiers[index]
    if not dropped:
        return ClassifierEdit(text)
    return ClassifierEdit(document.as_string(), _lines_of(text, reversed(dropped), floor))


def drop_from_setup_cfg(text: str, floor: str) -> ClassifierEdit:
    """Continuation lines holding one excluded classifier each; a classifier on the `classifiers =` line itself
    stays (removing it would move the next one up: left to a human, see `left_behind`)."""
    entry = IniSection(text, "metadata").entry("classifiers")
    if entry is None:
        return ClassifierEdit(text)
    first, last, _ = entry
    lines = text.splitlines(keepends=True)
    drop = [index for index in range(first + 1, last + 1) if excluded_version(lines[index], floor)]
    if not drop:
        return ClassifierEdit(text)
    kept = [line for index, line in enumerate(lines) if index not in drop]
    return ClassifierEdit("".join(kept), [DroppedClassifier(i + 1, excluded_version(lines[i], floor)) for i in drop])


def left_behind(text: str, floor: str, dropped: list[DroppedClassifier]) -> Iterator[tuple[int, str]]:
    """(line, version) of every line still naming an excluded classifier that was not dropped: written in a
    way the bot does not edit (built by code, on the key's own line, a string with escapes)."""
    gone = {d.line for d in dropped}
    for number, line in enumerate(text.splitlines(), start=1):
        for match in CLASSIFIER.finditer(line):
            if number not in gone and Version(match.group(1)) < Version(floor) and _ends_classifier(line, match):
                yield number, match.group(1)


def _ends_classifier(line: str, match: re.Match) -> bool:
    """`... :: 3.8` and not `... :: 3.80` or `:: 3.8 :: Only`-like continuations."""
    rest = line[match.end():]
    return not rest[:1].isdigit() and not rest.lstrip(" ").startswith("::")


def _lines_of(text: str, classifiers, floor: str) -> list[DroppedClassifier]:
    lines = text.splitlines()
    used: set[int] = set()
    out = []
    for classifier in classifiers:
        number = next((n for n, line in enumerate(lines, start=1)
                       if n not in used and (f'"{classifier}"' in line or f"'{classifier}'" in line)), 0)
        used.add(number)
        out.append(DroppedClassifier(number, excluded_version(classifier, floor)))
    return sorted(out, key=lambda d: d.line)

