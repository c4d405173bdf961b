"""Read and edit the dependencies a setup.py declares, keeping every other byte (libcst).

`install_requires=[...]` and `extras_require={"extra": [...]}`, given to `setup()`, to `dict(...)` or as keys of
a dict literal (`setup(**kwargs)`), written as a list or tuple literal or as a module-level name bound to one
(`install_requires=REQUIRES`). Each requirement is a plain string literal; it is edited with the
requirements-file splicer (same rules as requirements files: spelling, extras, marker and spacing kept) and
written back in its own quotes. What the bot cannot read as such a literal (an f-string, a list built by code,
requirements read from a file) is not a declaration here; a pin it reads but cannot write back (a string
with escapes) is a manual item.

Sections: `install_requires` (a library's runtime dependencies) and `extras_require.<extra>`.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Iterator

from packaging.utils import canonicalize_name

from bot.declared.requirements import (
    EDIT_ACTIONS,
    UNSUPPORTED_RULE,
    Declaration,
    EditOutcome,
    edit_requirements,
    parse_requirements,
)
from bot.model import ManualItem, RequirementEdit

FILE = "setup.py"
RUNTIME = "install_requires"
EXTRAS = "extras_require"
UNWRITABLE_REASON = "a requirement string setup.py writes with escapes or string concatenation: the bot does not rewrite it"


@dataclass
class _Element:
    """One requirement string of a list the bot can edit."""

    section: str
    node: object  # the libcst SimpleString
    owner: object  # the libcst List/Tuple holding it
    line: int
    value: str  # the evaluated string
    writable: bool  # the literal's text between its quotes is exactly `value` (no escapes)


@dataclass
class _Document:
    """A parsed setup.py and what it declares."""

    module: object
    elements: list[_Element] = field(default_factory=list)
    runtime_lists: list[object] = field(default_factory=list)  # install_requires lists, for additions


def parse_setup_py(text: str, file: str = FILE) -> list[Declaration]:
    """The declarations of a setup.py; [] when libcst cannot parse it (the service's source check says so)."""
    document = _read(text)
    if document is None:
        return []
    out = []
    for element in document.elements:
        found = parse_requirements(element.value, file)[0]
        if found:
            decl = found[0]
            out.append(Declaration(file, element.line, decl.name, decl.raw_name, decl.extras, decl.spec,
                                   decl.marker, False, element.section, decl.url))
    return out


def edit_setup_py(text: str, file: str, edits: Sequence[RequirementEdit], *, allow_add: bool) -> EditOutcome:
    document = _read(text)
    outcome = EditOutcome(text=text)
    if document is None or not edits:
        return outcome
    new_values: dict[int, str | None] = {}  # id(element node) -> new requirement text; None: removed
    current = {id(e.node): e.value for e in document.elements}
    for edit in edits:
        if edit.action not in EDIT_ACTIONS:
            raise ValueError(f"unknown requirement edit action {edit.action!r}")
        package = canonicalize_name(edit.package)
        for element in document.elements:
            value = current[id(element.node)]
            if value is None or _name(value) != package:
                continue
            edited = edit_requirements(value, file, [edit], allow_add=False)
            if edited.manual:  # a direct reference
                outcome.manual += [_item(element, m.reason, m.suggestion) for m in edited.manual]
                continue
            new = edited.text.strip()
            current[id(element.node)] = new or None
    # What is declared once every edit is made: a package replaced by another and added back (a recipe that
    # keeps the old package for code it could not migrate) is no longer declared, so it is added.
    declared = {_name(value) for value in current.values() if value}
    additions = [e for e in edits if e.action == "add" and canonicalize_name(e.package) not in declared and allow_add]
    for element in document.elements:
        new = current[id(element.node)]
        if new == element.value:
            continue
        if not element.writable:
            outcome.manual.append(_item(element, UNWRITABLE_REASON, new or f"remove {element.value}"))
            continue
        new_values[id(element.node)] = new
        before = parse_requirements(element.value, file)[0][0]
        if new is None:
            outcome.applied.append(f"{element.value} removed from {element.section} (line {element.line})")
        else:
            after = parse_requirements(new, file)[0][0]
            what = (f"{element.value} -> {new}" if after.name != before.name
                    else f"{before.raw_name}: {before.spec or '(any)'} -> {after.spec or '(any)'}")
            outcome.applied.append(f"{what} in {element.section} (line {element.line})")
    added: list[str] = []
    target = document.runtime_lists[0] if document.runtime_lists else None
    for edit in additions:
        if target is None:
            break
        extras = f"[{','.join(edit.extras)}]" if edit.extras else ""
        added.append(f"{edit.package}{extras}{edit.spec.strip()}")
    if not new_values and not added:
        return outcome
    module = document.module.visit(_rewriter_class()(new_values, target, added))
    outcome.text = module.code
    if added:
        lines = {e.value: e.line for e in _read(outcome.text).elements}
        outcome.applied += [f"{a} added to {RUNTIME} (line {lines.get(a, 1)})" for a in added]
    return outcome


def _name(requirement: str) -> str | None:
    found = parse_requirements(requirement, "")[0]
    return found[0].name if found else None


def _item(element: _Element, reason: str, suggestion: str | None) -> ManualItem:
    return ManualItem(FILE, element.line, element.value, reason, UNSUPPORTED_RULE, suggestion)


# ---------------------------------------------------------------- reading


def _read(text: str) -> _Document | None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    constants = _module_lists(module)
    document = _Document(module)
    for section, container in _declaring_containers(module, constants):
        if section == RUNTIME:
            document.runtime_lists.append(container)
        for element in container.elements:
            node = element.value
            if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
                value = node.evaluated_value
                if isinstance(value, bytes) or not parse_requirements(value, "")[0]:
                    continue
                inner = node.value[len(node.prefix) + len(node.quote):-len(node.quote)]
                document.elements.append(_Element(section, node, container, positions[node].start.line, value,
                                                  writable=inner == value and "\\" not in inner))
    return document


def _module_lists(module) -> dict[str, object]:
    """Module-level `NAME = [...]` / `(...)` / `{...}` literals: what `install_requires=NAME` (and
    `extras_require=EXTRAS`) refers to."""
    import libcst as cst

    found: dict[str, object] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                       else [small.target] if isinstance(small, cst.AnnAssign) else [])
            for target in targets:
                if isinstance(target, cst.Name) and isinstance(value, (cst.List, cst.Tuple, cst.Dict)):
                    found[target.value] = value
    return found


def _declaring_containers(module, constants: dict[str, object]) -> Iterator[tuple[str, object]]:
    """(section, list literal) for every install_requires / extras_require value, in source order."""
    import libcst as cst

    seen: set[int] = set()

    def as_list(node) -> object | None:
        if isinstance(node, cst.Name):
            node = constants.get(node.value)
        return node if isinstance(node, (cst.List, cst.Tuple)) else None

    def for_key(key: str, value) -> Iterator[tuple[str, object]]:
        if key == RUNTIME:
            found = as_list(value)
            if found is not None and id(found) not in seen:
                seen.add(id(found))
                yield RUNTIME, found
        elif key == EXTRAS and isinstance(value, cst.Name):
            yield from for_key(key, constants.get(value.value))
        elif key == EXTRAS and isinstance(value, cst.Dict):
            for item in value.elements:
                if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString):
                    extra = item.key.evaluated_value
                    found = as_list(item.value)
                    if isinstance(extra, str) and found is not None and id(found) not in seen:
                        seen.add(id(found))
                        yield f"{EXTRAS}.{extra}", found

    stack = [module]
    order: list[tuple[str, object]] = []
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            for arg in node.args:
                if arg.keyword is not None:
                    order += for_key(arg.keyword.value, arg.value)
        elif isinstance(node, cst.Dict):
            for item in node.elements:
                if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString):
                    key = item.key.evaluated_value
                    if isinstance(key, str):
                        order += for_key(key, item.value)
        stack.extend(reversed(node.children))
    yield from order


# ---------------------------------------------------------------- writing


@functools.cache
def _rewriter_class():
    """Defined on first use: importing this module (discovery does) must not load libcst."""
    import libcst as cst

    class Rewriter(cst.CSTTransformer):
        """Replaces edited strings in their own quotes, drops removed ones, appends additions to `target`."""

        def __init__(self, new_values: dict[int, str | None], target, added: list[str]) -> None:
            super().__init__()
            self.new_values, self.target, self.added = new_values, target, added

        def leave_SimpleString(self, original, updated):
            new = self.new_values.get(id(original))
            if new is None:
                return updated
            return updated.with_changes(value=f"{original.prefix}{original.quote}{new}{original.quote}")

        def leave_List(self, original, updated):
            return self._elements(original, updated)

        def leave_Tuple(self, original, updated):
            return self._elements(original, updated)

        def _elements(self, original, updated):
            kept = [u for o, u in zip(original.elements, updated.elements)
                    if not (id(o.value) in self.new_values and self.new_values[id(o.value)] is None)]
            if len(kept) != len(original.elements) and kept:
                # the last element keeps the layout the list ended with (trailing comma or not)
                kept[-1] = kept[-1].with_changes(comma=updated.elements[-1].comma)
            closing_changes = {}
            if original is self.target and self.added:
                quote = _quote_of(original.elements)
                opening = _opening_whitespace(original)
                multiline = isinstance(opening, cst.ParenthesizedWhitespace)
                separator = _separator(updated.elements, opening)
                last_comma = kept[-1].comma if kept else cst.MaybeSentinel.DEFAULT
                if not multiline and isinstance(original, cst.Tuple) and len(original.elements) == 1:
                    last_comma = cst.MaybeSentinel.DEFAULT  # ("x",): the comma only made it a tuple
                closing, closing_changes = _closing(updated)
                for requirement in self.added:
                    if kept:
                        # a comment after the last element (`"x",  # why`) stays on its line
                        kept[-1] = kept[-1].with_changes(comma=_keeping_comment(kept[-1].comma, separator, closing))
                        closing = _without_comment_ws(closing)
                    kept.append(cst.Element(cst.SimpleString(f"{quote}{requirement}{quote}"),
                                            comma=_without_comment(last_comma)))
                closing_changes = _with_closing(updated, closing) if closing_changes else {}
            if len(kept) == 1 and isinstance(original, cst.Tuple) and kept[0].comma == cst.MaybeSentinel.DEFAULT:
                kept[0] = kept[0].with_changes(comma=cst.Comma())  # ("x",) stays a tuple
            return updated.with_changes(elements=kept, **closing_changes)

    return Rewriter


def _quote_of(elements) -> str:
    import libcst as cst

    for element in elements:
        if isinstance(element.value, cst.SimpleString):
            return element.value.quote
    return '"'


def _opening_whitespace(container):
    """What follows `[` (or the tuple's `(`): a newline and indent when the list has one element per line."""
    import libcst as cst

    if isinstance(container, cst.List):
        return container.lbracket.whitespace_after
    return container.lpar[0].whitespace_after if container.lpar else cst.SimpleWhitespace("")


def _separator(elements, opening):
    """The comma between two elements as the list writes it (one per line, or inline)."""
    import libcst as cst

    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        return _without_comment(elements[-2].comma)
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=opening.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=()))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _closing(container):
    """The whitespace before the closing bracket (where libcst keeps a comment after the last element)."""
    import libcst as cst

    if isinstance(container, cst.List):
        return container.rbracket.whitespace_before, {"rbracket": True}
    if container.rpar:
        return container.rpar[-1].whitespace_before, {"rpar": True}
    return None, {}


def _with_closing(container, whitespace) -> dict:
    import libcst as cst

    if isinstance(container, cst.List):
        return {"rbracket": container.rbracket.with_changes(whitespace_before=whitespace)}
    return {"rpar": [*container.rpar[:-1], container.rpar[-1].with_changes(whitespace_before=whitespace)]}


def _keeping_comment(comma, separator, closing):
    """`separator`, with the comment the element's line carried, in its comma or before the closing bracket."""
    import libcst as cst

    wanted = separator.whitespace_after
    if not isinstance(wanted, cst.ParenthesizedWhitespace):
        return separator
    for own in (getattr(comma, "whitespace_after", None), closing):
        if isinstance(own, cst.ParenthesizedWhitespace) and own.first_line.comment is not None:
            return separator.with_changes(whitespace_after=wanted.with_changes(first_line=own.first_line))
    return separator


def _without_comment_ws(whitespace):
    import libcst as cst

    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace())
    return whitespace


def _without_comment(comma):
    """A comma as written, minus the comment after it (it belongs to the element it followed)."""
    import libcst as cst

    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        return comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(
            first_line=cst.TrailingWhitespace(), empty_lines=()))
    return comma


def classifier_elements(module) -> list:
    """The elements of every `classifiers=[...]` list literal a setup.py hands to setup(), to `dict(...)` or as a
    dict key (also through a module-level name bound to one), in source order: a rule removes the ones it can
    (bot.change.python_floor). Tuples are left out: removing from one could leave `("x")`, not a tuple."""
    import libcst as cst

    constants = _module_lists(module)
    found: list = []
    seen: set[int] = set()

    def collect(value) -> None:
        if isinstance(value, cst.Name):
            value = constants.get(value.value)
        if isinstance(value, cst.List) and id(value) not in seen:
            seen.add(id(value))
            found.extend(value.elements)

    stack = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "classifiers":
                    collect(arg.value)
        elif isinstance(node, cst.Dict):
            for item in node.elements:
                if (isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString)
                        and item.key.evaluated_value == "classifiers"):
                    collect(item.value)
        stack.extend(reversed(node.children))
    return found
