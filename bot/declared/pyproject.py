"""Read and edit the dependencies declared in a pyproject.toml, keeping every other byte.

Covers PEP 621 `[project] dependencies` and `[project.optional-dependencies]`, PEP 735
`[dependency-groups]` (`{include-group = ...}` items are skipped) and Poetry's
`[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]` and
`[tool.poetry.group.<g>.dependencies]`. tomlkit edits only the items that change, so
comments, ordering and layout elsewhere stay as written.

PEP 508 strings are rewritten with the requirements-file splicer (same rules: keep spelling,
extras, marker and spacing). Poetry specs are written the Poetry way: `==9.1.2` becomes
`"9.1.2"`, an empty spec `"*"`, anything else (`>=1.6,<2`) is valid Poetry as it stands.
A new requirement goes to `project.dependencies` when that list exists, else to the first
section that declares anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import InlineTable, String, StringType, Table

from bot.declared.requirements import (
    EDIT_ACTIONS,
    UNSUPPORTED_RULE,
    URL_REASON,
    Declaration,
    EditOutcome,
    edit_requirements,
    merged_extras,
    parse_requirements,
)
from bot.model import ManualItem, RequirementEdit

_SENTINEL = "@@upgrade-bot-locate@@"
_POETRY_SOURCE_KEYS = ("git", "path", "url", "file")
MULTI_CONSTRAINT_REASON = (
    "Poetry multiple-constraint dependency; the bot does not rewrite these"
)


def parse_pyproject(text: str, file: str) -> list[Declaration]:
    doc = _parse(text, file)
    return [slot.declaration(file) for slot in _slots(doc, text)]


def _parse(text: str, file: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise ValueError(f"{file}: invalid TOML: {error}") from error


# ---------------------------------------------------------------- locating declarations


def _lookup(doc: Any, path: tuple[str, ...]) -> Any:
    node = doc
    for key in path:
        if not hasattr(node, "get") or key not in node:
            return None
        node = node[key]
    return node


def _sections(doc: Any) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(section name, key path, kind) for every dependency container, in a stable order."""
    if isinstance(_lookup(doc, ("project", "dependencies")), list):
        yield "project.dependencies", ("project", "dependencies"), "pep508"
    optional = _lookup(doc, ("project", "optional-dependencies"))
    if hasattr(optional, "items"):
        for extra, value in optional.items():
            if isinstance(value, list):
                path = ("project", "optional-dependencies", extra)
                yield f"project.optional-dependencies.{extra}", path, "pep508"
    groups = _lookup(doc, ("dependency-groups",))
    if hasattr(groups, "items"):
        for group, value in groups.items():
            if isinstance(value, list):
                yield (
                    f"dependency-groups.{group}",
                    ("dependency-groups", group),
                    "pep508",
                )
    for path in (
        ("tool", "poetry", "dependencies"),
        ("tool", "poetry", "dev-dependencies"),
    ):
        if hasattr(_lookup(doc, path), "items"):
            yield ".".join(path), path, "poetry"
    poetry_groups = _lookup(doc, ("tool", "poetry", "group"))
    if hasattr(poetry_groups, "items"):
        for group in poetry_groups:
            path = ("tool", "poetry", "group", group, "dependencies")
            if hasattr(_lookup(doc, path), "items"):
                yield ".".join(path), path, "poetry"


def _line_of(text: str, path: tuple[str, ...], locator: int | str) -> int:
    """1-based line of one item: swap it for a sentinel in a fresh parse and find the sentinel.

    Everything before the swapped item serialises exactly as in `text`, so the sentinel's offset
    is the item's offset in the original text.
    """
    doc = tomlkit.parse(text)
    container = _lookup(doc, path)
    value = container[locator]
    if isinstance(value, Table) and len(value):
        # a [tool.poetry.dependencies.<name>] sub-table: point at its first key
        container, locator = value, next(iter(value))
    container[locator] = _SENTINEL
    offset = doc.as_string().find(_SENTINEL)
    return text.count("\n", 0, max(offset, 0)) + 1


@dataclass
class _Slot:
    """One declared dependency and the state edits want it in."""

    section: str
    path: tuple[str, ...]
    kind: str  # "pep508" or "poetry"
    locator: int | str  # array index, or Poetry key as written
    line: int
    # pep508: the requirement string; poetry: the version constraint
    original: str
    current: str
    raw_name: str
    extras: tuple[str, ...]
    marker: str
    url: str
    multi: bool = False  # Poetry list of constraints
    current_name: str = ""
    current_extras: tuple[str, ...] = ()
    removed: bool = False
    blocked: str | None = (
        None  # the requirement an edit wanted, when the bot may not write it
    )

    def __post_init__(self) -> None:
        self.current_name = self.current_name or self.raw_name
        self.current_extras = self.current_extras or self.extras

    @property
    def name(self) -> str:
        return canonicalize_name(self.current_name)

    def declaration(self, file: str) -> Declaration:
        if self.kind == "pep508":
            parsed = parse_requirements(self.original, file)[0][0]
            spec, extras = parsed.spec, parsed.extras
        else:
            spec, extras = re.sub(r"\s+", "", self.original), tuple(sorted(self.extras))
        return Declaration(
            file=file,
            line=self.line,
            name=canonicalize_name(self.raw_name),
            raw_name=self.raw_name,
            extras=extras,
            spec=spec,
            marker=self.marker,
            hashed=False,
            section=self.section,
            url=self.url,
        )

    @property
    def changed(self) -> bool:
        return (
            self.removed
            or self.blocked is not None
            or self.current_name != self.raw_name
            or self.current != self.original
            or self.current_extras != self.extras
        )


def _slots(doc: Any, text: str) -> list[_Slot]:
    slots: list[_Slot] = []
    for section, path, kind in _sections(doc):
        container = _lookup(doc, path)
        if kind == "pep508":
            for index, item in enumerate(container):
                if not isinstance(item, str):
                    continue  # {include-group = "..."} and other tables
                found = parse_requirements(str(item), "")[0]
                if not found:
                    continue
                decl = found[0]
                slots.append(
                    _Slot(
                        section,
                        path,
                        kind,
                        index,
                        _line_of(text, path, index),
                        str(item),
                        str(item),
                        decl.raw_name,
                        tuple(decl.extras),
                        decl.marker,
                        decl.url,
                    )
                )
            continue
        for key, value in container.items():
            if canonicalize_name(key) == "python":
                continue
            version, extras, marker, url, multi = _poetry_fields(value)
            slots.append(
                _Slot(
                    section,
                    path,
                    kind,
                    key,
                    _line_of(text, path, key),
                    version,
                    version,
                    key,
                    extras,
                    marker,
                    url,
                    multi,
                )
            )
    return slots


def _poetry_fields(value: Any) -> tuple[str, tuple[str, ...], str, str, bool]:
    """(version, extras, markers, source url/path, is multi-constraint) of a Poetry entry."""
    if isinstance(value, str):
        return str(value), (), "", "", False
    if isinstance(value, list):
        versions = [str(v.get("version", "")) for v in value if hasattr(v, "get")]
        return ",".join(versions), (), "", "", True
    if hasattr(value, "get"):
        url = next((str(value[k]) for k in _POETRY_SOURCE_KEYS if k in value), "")
        extras = tuple(str(e) for e in value.get("extras", ()))
        return (
            str(value.get("version", "")),
            extras,
            str(value.get("markers", "")),
            url,
            False,
        )
    return "", (), "", "", False


# ---------------------------------------------------------------- editing


def poetry_spec(spec: str) -> str:
    """A PEP 440 specifier as a Poetry constraint."""
    spec = spec.strip()
    if not spec:
        return "*"
    if spec.startswith("==") and "," not in spec and "*" not in spec:
        return spec[2:].strip()
    return spec


def _apply(slot: _Slot, edit: RequirementEdit, file: str) -> None:
    if edit.action == "remove":
        slot.removed = True
        return
    if slot.kind == "pep508":
        outcome = edit_requirements(slot.current, file, [edit], allow_add=False)
        if outcome.manual:  # a direct reference: reported when the outcome is assembled
            slot.blocked = outcome.manual[0].suggestion or ""
            return
        slot.current = outcome.text
        slot.current_name = parse_requirements(outcome.text, file)[0][0].raw_name
        return
    if edit.action == "replace":
        slot.current_name = edit.new_package
        slot.current_extras = tuple(edit.extras)
    else:
        slot.current_extras = merged_extras(slot.current_extras, edit.extras)
    target = poetry_spec(edit.spec)
    if poetry_spec(slot.current) != target:
        slot.current = target


def edit_pyproject(
    text: str, file: str, edits: Sequence[RequirementEdit], *, allow_add: bool
) -> EditOutcome:
    doc = _parse(text, file)
    slots = _slots(doc, text)
    additions: dict[str, RequirementEdit] = {}

    def live(name: str) -> list[_Slot]:
        return [s for s in slots if s.name == name and not s.removed]

    for edit in edits:
        if edit.action not in EDIT_ACTIONS:
            raise ValueError(f"unknown requirement edit action {edit.action!r}")
        package = canonicalize_name(edit.package)
        current = live(package)
        if edit.action == "replace":
            new_name = canonicalize_name(edit.new_package)
            if current and new_name != package and live(new_name):
                # the new package is already declared: drop the old one, pin the new one
                for slot in current:
                    slot.removed = True
                current = live(new_name)
                edit = RequirementEdit(
                    "set", edit.new_package, edit.spec, extras=edit.extras
                )
        for slot in current:
            _apply(slot, edit, file)
        if edit.action == "remove":
            additions.pop(package, None)
        elif edit.action in ("set", "add") and package in additions:
            earlier = additions[package]
            additions[package] = RequirementEdit(
                "add",
                earlier.package,
                edit.spec,
                extras=merged_extras(earlier.extras, edit.extras),
            )
        elif edit.action == "add" and not current and allow_add:
            additions[package] = edit

    outcome = EditOutcome(text=text)
    _materialise(doc, slots, file, outcome)
    added_at = _append(doc, slots, additions)
    new_text = _keep_crlf(text, doc.as_string())
    outcome.text = new_text if new_text != text else text
    for path, locator, description in added_at:
        outcome.applied.append(
            f"{description} added (line {_line_of(new_text, path, locator)})"
        )
    return outcome


def _keep_crlf(original: str, new: str) -> str:
    """tomlkit writes "\n" after items it adds; a file that uses CRLF throughout keeps CRLF."""
    if "\r\n" in original and original.count("\n") == original.count("\r\n"):
        return re.sub(r"(?<!\r)\n", "\r\n", new)
    return new


def _materialise(doc: Any, slots: list[_Slot], file: str, outcome: EditOutcome) -> None:
    applied: list[tuple[int, str]] = []
    manual: list[ManualItem] = []
    # last first, so array indices of earlier slots stay valid while items are deleted
    for slot in reversed(slots):
        if not slot.changed:
            continue
        container = _lookup(doc, slot.path)
        unsupported = (slot.url or slot.multi) and not slot.removed
        if unsupported:
            suggestion = (
                slot.blocked if slot.blocked is not None else _poetry_line(slot)
            )
            manual.append(
                ManualItem(
                    file=file,
                    line=slot.line,
                    old_code=_old_code(doc, slot),
                    reason=URL_REASON if slot.url else MULTI_CONSTRAINT_REASON,
                    rule=UNSUPPORTED_RULE,
                    suggestion=suggestion,
                )
            )
            continue
        if slot.removed:
            del container[slot.locator]
        elif slot.kind == "pep508":
            old = container[slot.locator]
            container[slot.locator] = String.from_raw(slot.current, type_=old.type)
        else:
            _write_poetry(container, slot)
        applied.append((slot.line, _describe(slot)))
    outcome.applied.extend(
        message for _, message in sorted(applied, key=lambda pair: pair[0])
    )
    outcome.manual.extend(sorted(manual, key=lambda item: item.line))


def _old_code(doc: Any, slot: _Slot) -> str:
    if slot.kind == "pep508":
        return slot.original
    return (
        f"{slot.locator} = {_lookup(doc, slot.path)[slot.locator].as_string().strip()}"
    )


def _poetry_line(slot: _Slot) -> str:
    return f'{slot.current_name} = "{slot.current}"'


def _describe(slot: _Slot) -> str:
    if slot.removed:
        return f"{slot.raw_name} removed from {slot.section} (line {slot.line})"
    if slot.kind == "pep508":
        before = parse_requirements(slot.original, "")[0][0]
        after = parse_requirements(slot.current, "")[0][0]
        if before.name != after.name:
            return f"{slot.original} -> {slot.current} in {slot.section} (line {slot.line})"
        extras = f" [{','.join(after.extras)}]" if after.extras != before.extras else ""
        return f"{before.raw_name}: {before.spec or '(any)'} -> {after.spec or '(any)'}{extras} in {slot.section} (line {slot.line})"
    changed_extras = slot.current_extras != slot.extras and slot.current_extras
    extras = f" [{','.join(slot.current_extras)}]" if changed_extras else ""
    where = f"in {slot.section} (line {slot.line})"
    if slot.current_name != slot.raw_name:
        return f"{slot.raw_name} {slot.original or '*'} -> {slot.current_name} {slot.current}{extras} {where}"
    return f"{slot.raw_name}: {slot.original or '*'} -> {slot.current}{extras} {where}"


def _write_poetry(container: Any, slot: _Slot) -> None:
    value = container[slot.locator]
    if isinstance(value, str) and not slot.current_extras:
        new_value: Any = String.from_raw(
            slot.current, type_=getattr(value, "type", StringType.SLB)
        )
    elif isinstance(value, str):
        new_value = tomlkit.inline_table()
        new_value["version"] = slot.current
        new_value["extras"] = list(slot.current_extras)
    elif (
        isinstance(value, InlineTable)
        and slot.extras
        and not slot.current_extras
        and set(value) <= {"version", "extras"}
    ):
        # nothing but a version left: the plain string form, as Poetry users write it
        version_item = value.get("version")
        new_value = String.from_raw(
            slot.current, type_=getattr(version_item, "type", StringType.SLB)
        )
    else:
        new_value = value
        if slot.current != slot.original:
            old = value.get("version")
            value["version"] = String.from_raw(
                slot.current, type_=getattr(old, "type", StringType.SLB)
            )
        if slot.current_extras != slot.extras:
            if slot.current_extras:
                value["extras"] = list(slot.current_extras)
            elif "extras" in value:
                del value["extras"]
    if slot.current_name == slot.locator:
        if new_value is not value:
            container[slot.locator] = new_value
        return
    # a Table's key order lives in its Container; _replace renames in place
    target = getattr(container, "value", container)
    if hasattr(target, "_replace"):
        target._replace(slot.locator, slot.current_name, new_value)
    else:
        del container[slot.locator]
        container[slot.current_name] = new_value


def _append(
    doc: Any, slots: list[_Slot], additions: dict[str, RequirementEdit]
) -> list[tuple[tuple[str, ...], Any, str]]:
    """Add missing requirements; returns (path, locator, text) of each for line reporting."""
    if not additions:
        return []
    sections = list(_sections(doc))
    chosen = next((s for s in sections if s[0] == "project.dependencies"), None)
    if chosen is None:
        first_used = next((s.section for s in slots), None)
        chosen = next((s for s in sections if s[0] == first_used), None)
    if chosen is None:
        return []
    _, path, kind = chosen
    container = _lookup(doc, path)
    added = []
    for edit in additions.values():
        extras = f"[{','.join(edit.extras)}]" if edit.extras else ""
        if kind == "pep508":
            requirement = f"{edit.package}{extras}{edit.spec.strip()}"
            strings = [item for item in container if isinstance(item, String)]
            style = strings[-1].type if strings else StringType.SLB
            container.append(String.from_raw(requirement, type_=style))
            added.append((path, len(container) - 1, requirement))
        else:
            constraint = poetry_spec(edit.spec)
            if edit.extras:
                table = tomlkit.inline_table()
                table["version"] = constraint
                table["extras"] = list(edit.extras)
                container[edit.package] = table
            else:
                container[edit.package] = constraint
            added.append(
                (path, edit.package, f'{edit.package}{extras} = "{constraint}"')
            )
    return added
