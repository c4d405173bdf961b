"""Read and edit the dependencies a setup.cfg declares, as text: every other byte stays as written.

`[options] install_requires` and each key of `[options.extras_require]`, read as setuptools reads them: a
value on several lines holds one requirement per line (`#` lines are comments); a one-line value holds
requirements separated by `;`. Each requirement is edited with the requirements-file splicer (spelling,
extras, marker, spacing kept), a removed one loses its line, an added one gets a line of its own, indented
like its neighbours. A `file:` value points at other files (`file_references`): discovery reads and bumps
them as requirements files. No configparser: it would drop comments and reflow the file.

Sections: `install_requires` (a library's runtime dependencies) and `extras_require.<extra>`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from bot.declared.requirements import EDIT_ACTIONS, Declaration, EditOutcome, edit_requirements, parse_requirements
from bot.declared.ini_text import IniSection
from bot.model import RequirementEdit

FILE = "setup.cfg"
RUNTIME = "install_requires"
EXTRAS = "extras_require"


@dataclass(frozen=True)
class _Piece:
    """One requirement: its line (0-based), the column span of its text on that line, and the text."""

    section: str
    key: str
    line: int
    start: int
    end: int
    text: str
    alone: bool  # the only thing on its line (a continuation line): removing it removes the line


def parse_setup_cfg(text: str, file: str = FILE) -> list[Declaration]:
    out = []
    for piece in _pieces(text):
        found = parse_requirements(piece.text, file)[0]
        if found:
            decl = found[0]
            out.append(Declaration(file, piece.line + 1, decl.name, decl.raw_name, decl.extras, decl.spec,
                                   decl.marker, False, piece.section, decl.url))
    return out


def edit_setup_cfg(text: str, file: str, edits: Sequence[RequirementEdit], *, allow_add: bool) -> EditOutcome:
    outcome = EditOutcome(text=text)
    pieces = [p for p in _pieces(text) if parse_requirements(p.text, file)[0]]
    current = {id(p): p.text for p in pieces}
    declared: set[str] = set()
    for edit in edits:
        if edit.action not in EDIT_ACTIONS:
            raise ValueError(f"unknown requirement edit action {edit.action!r}")
        package = canonicalize_name(edit.package)
        for piece in pieces:
            value = current[id(piece)]
            found = parse_requirements(value, file)[0] if value else []
            if not found or found[0].name != package:
                continue
            declared.add(package)
            edited = edit_requirements(value, file, [edit], allow_add=False)
            if edited.manual:  # a direct reference
                outcome.manual += [m.__class__(file, piece.line + 1, piece.text, m.reason, m.rule, m.suggestion)
                                   for m in edited.manual]
                continue
            current[id(piece)] = edited.text.strip()
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    for piece in pieces:
        new = current[id(piece)]
        if new == piece.text:
            continue
        before = parse_requirements(piece.text, file)[0][0]
        where = f"in {piece.section} (line {piece.line + 1})"
        if not new:
            outcome.applied.append(f"{piece.text} removed {where}")
        else:
            after = parse_requirements(new, file)[0][0]
            what = (f"{piece.text} -> {new}" if after.name != before.name
                    else f"{before.raw_name}: {before.spec or '(any)'} -> {after.spec or '(any)'}")
            outcome.applied.append(f"{what} {where}")
    for piece in sorted(pieces, key=lambda p: (p.line, -p.start)):  # right to left: spans stay valid
        new = current[id(piece)]
        if new == piece.text:
            continue
        if not new and piece.alone:
            drop.add(piece.line)
            continue
        line = lines[piece.line]
        head, tail = line[:piece.start], line[piece.end:]
        if not new:  # one of several `;`-separated requirements: its separator goes with it
            after = re.match(r"\s*;\s*", tail)
            if after:
                tail = tail[after.end():]
            else:
                head = re.sub(r"\s*;\s*$", "", head)
        lines[piece.line] = head + new + tail
    additions = [e for e in edits if e.action == "add" and canonicalize_name(e.package) not in declared and allow_add]
    runtime = [p for p in _pieces(text) if p.section == RUNTIME]
    inserted: list[tuple[int, str]] = []
    if additions and runtime:
        last = max(p.line for p in runtime)
        requirements = [f"{e.package}{'[' + ','.join(e.extras) + ']' if e.extras else ''}{e.spec.strip()}"
                        for e in additions]
        if not any(p.alone for p in runtime):  # `key = a; b` on one line: more of the same
            body = lines[last].rstrip("\r\n")
            lines[last] = body + "".join(f"; {r}" for r in requirements) + lines[last][len(body):]
            outcome.applied += [f"{r} added to {RUNTIME} (line {last + 1})" for r in requirements]
        else:
            indent = next(re.match(r"\s*", lines[p.line]).group(0) for p in reversed(runtime) if p.alone)
            eol = "\r\n" if "\r\n" in text else "\n"
            if not lines[last].endswith(("\n", "\r")):
                lines[last] += eol
            dropped = len([d for d in drop if d <= last])
            for offset, requirement in enumerate(requirements, start=1):
                inserted.append((last, f"{indent}{requirement}{eol}"))
                outcome.applied.append(f"{requirement} added to {RUNTIME} (line {last + 1 + offset - dropped})")
    out = []
    for number, line in enumerate(lines):
        if number not in drop:
            out.append(line)
        out += [added for at, added in inserted if at == number]
    new_text = "".join(out)
    outcome.text = new_text if new_text != text else text
    return outcome


@dataclass(frozen=True)
class FileReference:
    """`install_requires = file: requirements/base.txt`: setuptools reads the requirements from those files."""

    section: str
    line: int  # 1-based
    paths: tuple[str, ...]  # relative to setup.cfg's folder, as written


def file_references(text: str) -> list[FileReference]:
    lines = text.splitlines(keepends=True)
    out = []
    for section, _, entry in _entries(text):
        spans = _value_spans(lines, entry)
        values = " ".join(lines[i][s:e] for i, s, e in spans)
        if values.startswith("file:"):
            paths = tuple(p.strip() for p in values.removeprefix("file:").split(",") if p.strip())
            out.append(FileReference(section, spans[0][0] + 1, paths))
    return out


def _entries(text: str):
    """(section, key, entry) of install_requires and of each extra."""
    entry = IniSection(text, "options").entry(RUNTIME)
    if entry is not None:
        yield RUNTIME, RUNTIME, entry
    extras = IniSection(text, "options.extras_require")
    for key in extras.values():
        yield f"{EXTRAS}.{key}", key, extras.entry(key)


def _pieces(text: str) -> list[_Piece]:
    lines = text.splitlines(keepends=True)
    return [piece for section, key, entry in _entries(text) for piece in _value_pieces(lines, section, key, entry)]


def _value_spans(lines: list[str], entry) -> list[tuple[int, int, int]]:
    """(line, start, end) of each value line's text."""
    first, last, value_start = entry
    spans: list[tuple[int, int, int]] = []
    for index in range(first, last + 1):
        body = lines[index].rstrip("\r\n")
        start = value_start if index == first else len(body) - len(body.lstrip())
        end = len(body.rstrip())
        if start < end and not body[start:end].startswith(("#", ";")):
            spans.append((index, start, end))
    return spans


def _value_pieces(lines: list[str], section: str, key: str, entry) -> list[_Piece]:
    first = entry[0]
    spans = _value_spans(lines, entry)
    if any(lines[i][s:e].startswith("file:") for i, s, e in spans):
        return []  # the requirements live in other files: file_references
    pieces = []
    if len(spans) == 1 and spans[0][0] == first:  # one line: `;`-separated requirements
        index, start, end = spans[0]
        body = lines[index]
        offset = start
        for part in body[start:end].split(";"):
            left = offset + len(part) - len(part.lstrip())
            right = offset + len(part.rstrip())
            if left < right:
                pieces.append(_Piece(section, key, index, left, right, body[left:right], False))
            offset += len(part) + 1
        return pieces
    for index, start, end in spans:
        pieces.append(_Piece(section, key, index, start, end, lines[index][start:end], index != first))
    return pieces
