"""The one import editor: every change to a file's import statements goes through here, into its EditPlan.

Existing import lines are edited on their nodes, like any other edit of the plan:

    imports.set_module(import_from, "tenacity")      `from tenacity._asyncio import X` -> `from tenacity import X`
    imports.rename(alias, "aiomqtt")                 `import asyncio_mqtt as m` -> `import aiomqtt as m`
    imports.drop(alias)                              one name out of an import (the import goes with its last)
    imports.add_after(node, "import tenacity as t")  a new line right below the import holding `node`

New imports and unused ones are settled once, after every node edit, on the edited module:

    imports.add("inspect")                           `import inspect`, unless the module already has it
    imports.add("tenacity", "AsyncRetrying")         `from tenacity import AsyncRetrying` (joins an existing
                                                     `from tenacity import ...` line when there is one)
    imports.remove_if_unused("asyncio")              `import asyncio` when nothing else in the file uses it
    imports.move_name("pytest_asyncio.plugin", "SubRequest", "_pytest.fixtures", "SubRequest")
                                                     whichever `from pytest_asyncio.plugin import SubRequest`
                                                     the edited file holds now reads from the new place
                                                     (the local name is kept: `import B as A` when renamed)

A new import joins its group (standard library, third party, first party) in the alphabetical place
isort would give it, and a new group is set off by a blank line. `placement="appended"` puts it after the
file's leading imports instead, as libcst's AddImportsVisitor does.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from bot.analysis.names import children

from .edit_plan import EditPlan

GROUPED, APPENDED = "grouped", "appended"
STDLIB, THIRD_PARTY, FIRST_PARTY = 0, 1, 2
_STDLIB_NAMES = frozenset(getattr(sys, "stdlib_module_names", ())) or frozenset({"asyncio", "unittest"})


@dataclass(frozen=True)
class _Wanted:
    """An import to add once every edit is made, and where it goes."""

    module: str
    name: str | None
    asname: str | None
    placement: str


class ImportEditor:
    def __init__(self, plan: EditPlan, first_party: frozenset[str] = frozenset()) -> None:
        self.plan = plan
        self.first_party = first_party  # the service's own top-level modules (its imports form the last group)
        self._added: list[_Wanted] = []
        self._unused: list[tuple[str, str | None]] = []
        self._moved: list[tuple[str, str, str, str]] = []

    # ----- existing import lines ----------------------------------------------------------------

    def set_module(self, node: cst.ImportFrom, module: str, rule: str = "") -> None:
        """`from <old> import names` -> `from <module> import names` (a relative import becomes absolute)."""
        new_module = cst.parse_expression(module)
        self.plan.replace(node, lambda updated: updated.with_changes(module=new_module, relative=()), rule)

    def rename(self, alias: cst.ImportAlias, name: str, rule: str = "") -> None:
        """The imported name of one alias (`import a.b` -> `import c`; `from m import x` -> `from m import y`)."""
        new_name = cst.parse_expression(name)
        self.plan.replace(alias, lambda updated: updated.with_changes(name=new_name), rule)

    def drop(self, alias: cst.ImportAlias, rule: str = "") -> None:
        self.plan.remove(alias, rule)

    def add_after(self, node: cst.CSTNode, code: str | cst.BaseSmallStatement, rule: str = "") -> None:
        """A new import line right below the line holding `node` (several: in the order added)."""
        line = cst.SimpleStatementLine([code]) if isinstance(code, cst.BaseSmallStatement) else code
        self.plan.insert_after(node, [line], rule)

    # ----- whole-module additions and removals ---------------------------------------------------

    def add(self, module: str, name: str | None = None, asname: str | None = None, *,
            placement: str = GROUPED, rule: str = "") -> None:
        if placement not in (GROUPED, APPENDED):
            raise ValueError(f"placement must be {GROUPED!r} or {APPENDED!r}")
        wanted = _Wanted(module, name, asname, placement)
        if wanted not in self._added:
            self._schedule(rule)
            self._added.append(wanted)
            self.plan.changed()

    def remove_if_unused(self, name: str, source: str | None = None, rule: str = "") -> None:
        """Drop `import name` (or `from source import name`), a line of its own, when nothing uses it."""
        if (name, source) not in self._unused:
            self._schedule(rule)
            self._unused.append((name, source))
            self.plan.changed()

    def move_name(self, source: str, name: str, new_source: str, new_name: str, rule: str = "") -> None:
        """`from source import name [as x]` -> `from new_source import new_name [as x]`, on the file as every other
        edit leaves it (for names found missing only in the edited file). Other names of that line stay."""
        moved = (source, name, new_source, new_name)
        if moved not in self._moved:
            self._schedule(rule)
            self._moved.append(moved)
            self.plan.changed()

    def _schedule(self, rule: str) -> None:
        if not self._added and not self._unused and not self._moved:
            self.plan.apply_after_edits(self._apply, rule)

    def _apply(self, module: cst.Module) -> cst.Module:
        for source, name, new_source, new_name in self._moved:
            module = module.visit(_MoveName(source, name, new_source, new_name))
        appended = [w for w in self._added if w.placement == APPENDED]
        for wanted in sorted((w for w in self._added if w.placement == GROUPED),
                             key=lambda w: (w.module, w.name or "", w.asname or "")):
            module = add_grouped(module, wanted.module, wanted.name, wanted.asname, self.first_party)
        if appended:
            module = _add_appended(module, appended)
        for name, source in sorted(self._unused, key=str):
            module = remove_unused_import(module, name, source)
        return module


# ----- placement (pure functions on a module) ----------------------------------------------------

def group_of(module: str, first_party: frozenset[str]) -> int:
    top = module.split(".")[0]
    if not top or top in first_party:
        return FIRST_PARTY
    return STDLIB if top in _STDLIB_NAMES else THIRD_PARTY


def first_party_names(paths: Sequence[str]) -> frozenset[str]:
    """Names a service's own code is imported by: its packages and every module's stem (pytest's
    rootdir-relative imports make `tests/helpers.py` importable as `helpers`)."""
    names = set()
    for path in paths:
        parts = path.split("/")
        names.add(parts[-1][:-3])
        if len(parts) > 1:
            names.add(parts[0])
    names.discard("__init__")
    return frozenset(names)


def has_import(module: cst.Module, name: str, source: str | None = None, asname: str | None = None) -> bool:
    """`import name [as asname]`, or `from source import name [as asname]`, at the top level."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if source is None and isinstance(small, cst.Import):
                aliases = small.names
            elif (source is not None and isinstance(small, cst.ImportFrom) and not small.relative
                  and small.module is not None and get_full_name_for_node(small.module) == source
                  and not isinstance(small.names, cst.ImportStar)):
                aliases = small.names
            else:
                continue
            for alias in aliases:
                bound = get_full_name_for_node(alias.asname.name) if alias.asname is not None else None
                if get_full_name_for_node(alias.name) == name and bound == asname:
                    return True
    return False


def _imported_module(statement: cst.CSTNode) -> str | None:
    """The module a top-level import line imports (first alias for `import a, b`), else None."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Import):
        return get_full_name_for_node(small.names[0].name)
    if isinstance(small, cst.ImportFrom):
        if small.relative:
            return ""
        return get_full_name_for_node(small.module) if small.module else ""
    return None


def _leading_imports(body: Sequence[cst.BaseStatement]) -> list[tuple[int, str]]:
    """(index, module) of the import lines above the first def/class: late imports are not a group."""
    found = []
    for index, statement in enumerate(body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            break
        module = _imported_module(statement)
        if module is not None:
            found.append((index, module))
    return found


def _new_line(module: str, name: str | None, asname: str | None) -> cst.SimpleStatementLine:
    target = name if name is not None else module
    alias = cst.ImportAlias(name=cst.parse_expression(target),
                            asname=cst.AsName(cst.Name(asname)) if asname else None)
    if name is None:
        return cst.SimpleStatementLine(body=[cst.Import(names=[alias])])
    return cst.SimpleStatementLine(body=[cst.ImportFrom(module=cst.parse_expression(module), names=[alias])])


def add_grouped(module: cst.Module, source: str, name: str | None = None, asname: str | None = None,
                first_party: frozenset[str] = frozenset()) -> cst.Module:
    """`import source` (name None) or `from source import name`, placed as isort would."""
    if name is None and has_import(module, source, asname=asname):
        return module
    if name is not None and has_import(module, name, source, asname):
        return module
    body = list(module.body)
    imports = [(i, m) for i, m in _leading_imports(body) if m != "__future__"]
    if name is not None:
        joined = _join_from_line(body, imports, source, name, asname)
        if joined is not None:
            return module.with_changes(body=joined)
    group = group_of(source, first_party)
    new = _new_line(source, name, asname)
    same = [(i, m) for i, m in imports if group_of(m, first_party) == group]
    # Within a group isort puts `import x` lines before `from x import y` lines.
    plain = [(i, m) for i, m in same if isinstance(body[i].body[0], cst.Import)]
    froms = [(i, m) for i, m in same if isinstance(body[i].body[0], cst.ImportFrom)]
    kind = plain if name is None else froms
    if kind:
        after = [i for i, m in kind if m <= source]
        if after:
            return _insert(module, body, after[-1] + 1, new, blank_before=False)
        return _insert_before(module, body, kind[0][0], new, separate=False)
    if name is not None and plain:
        return _insert(module, body, plain[-1][0] + 1, new, blank_before=False)
    if same:
        return _insert_before(module, body, same[0][0], new, separate=False)
    earlier = [i for i, m in imports if group_of(m, first_party) < group]
    if earlier:
        return _insert(module, body, earlier[-1] + 1, new, blank_before=True)
    if imports:
        return _insert_before(module, body, imports[0][0], new, separate=True)
    at = _preamble_end(body)
    if at == len(body):
        return module.with_changes(body=[*body, new])
    # First import of the module: code after it is set off the way PEP 8 wants (two blank lines
    # before a def/class, one otherwise); blank lines above stay above the import.
    following = body[at]
    blanks = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
    new = new.with_changes(leading_lines=following.leading_lines)
    following = following.with_changes(leading_lines=[cst.EmptyLine()] * blanks)
    return module.with_changes(body=[*body[:at], new, following, *body[at + 1:]])


def _join_from_line(body: list, imports: list[tuple[int, str]], source: str, name: str,
                    asname: str | None) -> list | None:
    """The body with `name` appended to an existing one-line `from source import ...`, else None."""
    for index, module in imports:
        small = body[index].body[0]
        if (module == source and isinstance(small, cst.ImportFrom) and not small.relative
                and not isinstance(small.names, cst.ImportStar) and small.lpar is None):
            names = list(small.names)
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new_alias = cst.ImportAlias(name=cst.Name(name), asname=cst.AsName(cst.Name(asname)) if asname else None)
            line = body[index].with_changes(body=[small.with_changes(names=[*names, new_alias])])
            return [*body[:index], line, *body[index + 1:]]
    return None


def _preamble_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index after the module docstring and `from __future__` imports."""
    index = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        index = 1
    while index < len(body) and _imported_module(body[index]) == "__future__":
        index += 1
    return index


def _insert(module: cst.Module, body: list, at: int, new: cst.SimpleStatementLine,
            blank_before: bool) -> cst.Module:
    if blank_before:
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
        if at < len(body) and not body[at].leading_lines and _imported_module(body[at]) is not None:
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()])  # keep the next group apart
    return module.with_changes(body=[*body[:at], new, *body[at:]])


def _insert_before(module: cst.Module, body: list, at: int, new: cst.SimpleStatementLine,
                   separate: bool) -> cst.Module:
    """Insert before body[at], which keeps its comments/blank lines above the new line."""
    following = body[at]
    new = new.with_changes(leading_lines=following.leading_lines)
    following = following.with_changes(leading_lines=[cst.EmptyLine()] if separate else [])
    return module.with_changes(body=[*body[:at], new, following, *body[at + 1:]])


def _add_appended(module: cst.Module, wanted: list[_Wanted]) -> cst.Module:
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    for w in wanted:
        AddImportsVisitor.add_needed_import(context, w.module, w.name, w.asname)
    return AddImportsVisitor(context).transform_module(module)


def _uses(module: cst.Module, name: str) -> bool:
    """A load of the plain name `name` outside import statements, attribute names and keyword names (the
    file as edited, so no metadata; its nodes are read from their fields, not rebuilt as libcst's
    visitors do)."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is cst.Name:
            if node.value == name:
                return True
        elif kind is cst.Import or kind is cst.ImportFrom:
            continue
        elif kind is cst.Attribute or kind is cst.Arg:
            stack.append(node.value)  # `x.name` does not use a variable called `name`, nor `f(name=...)`
            continue
        stack.extend(children(node))
    return False


def remove_unused_import(module: cst.Module, name: str, source: str | None = None) -> cst.Module:
    """Drop `import name` (or `from source import name`) when it is a line of its own and unused."""
    if _uses(module, name):
        return module
    body = list(module.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        matches = (
            (isinstance(small, cst.Import) and source is None and len(small.names) == 1
             and small.names[0].asname is None and get_full_name_for_node(small.names[0].name) == name)
            or (isinstance(small, cst.ImportFrom) and source is not None and not small.relative
                and small.module is not None and get_full_name_for_node(small.module) == source
                and not isinstance(small.names, cst.ImportStar) and len(small.names) == 1
                and small.names[0].asname is None and small.names[0].name.value == name)
        )
        if not matches:
            continue
        rest = body[index + 1:]
        if rest and (index == 0 or not rest[0].leading_lines):
            # The next line inherits what stood above the removed one (a group's blank line, comments).
            rest[0] = rest[0].with_changes(leading_lines=statement.leading_lines)
        return module.with_changes(body=[*body[:index], *rest])
    return module


class _MoveName(cst.CSTTransformer):
    """`from source import a, name as x, b` -> `from source import a, b` + `from new_source import new_name as x`."""

    def __init__(self, source: str, name: str, new_source: str, new_name: str) -> None:
        super().__init__()
        self.source, self.name, self.new_source, self.new_name = source, name, new_source, new_name

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
            return updated
        small = updated.body[0]
        if small.relative or small.module is None or isinstance(small.names, cst.ImportStar) \
                or get_full_name_for_node(small.module) != self.source:
            return updated
        moving = [a for a in small.names if get_full_name_for_node(a.name) == self.name]
        if not moving:
            return updated
        alias = moving[0]
        local = alias.asname.name.value if alias.asname is not None else self.name
        new_alias = cst.ImportAlias(cst.Name(self.new_name),
                                    asname=cst.AsName(cst.Name(local)) if local != self.new_name else None)
        new_line = cst.SimpleStatementLine([cst.ImportFrom(module=cst.parse_expression(self.new_source),
                                                           names=[new_alias])])
        kept = [a for a in small.names if a is not alias]
        if not kept:
            return new_line.with_changes(leading_lines=updated.leading_lines)
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.FlattenSentinel([updated.with_changes(body=[small.with_changes(names=kept)]), new_line])
