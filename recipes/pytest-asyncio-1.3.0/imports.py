"""Adding and dropping top-level `import X` statements where a reviewer (and isort) expects them.

libcst's AddImportsVisitor appends after the last import, which puts `import pytest_asyncio`
below the service's own imports; here a new import joins its group (standard library,
third-party, first-party) in alphabetical order, and a new group is set off by a blank line.
"""
from __future__ import annotations

import sys
from typing import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

STDLIB, THIRD_PARTY, FIRST_PARTY = 0, 1, 2
_STDLIB_NAMES = frozenset(getattr(sys, "stdlib_module_names", ())) or frozenset({"asyncio", "unittest"})


def _group(module: str, first_party: frozenset[str]) -> int:
    top = module.split(".")[0]
    if not top or top in first_party:
        return FIRST_PARTY
    return STDLIB if top in _STDLIB_NAMES else THIRD_PARTY


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


def _is_future(module: str | None) -> bool:
    return module == "__future__"


def has_import(module: cst.Module, name: str) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import) and any(
                    get_full_name_for_node(a.name) == name and a.asname is None for a in small.names
                ):
                    return True
    return False


def add_import(module: cst.Module, name: str, first_party: frozenset[str]) -> cst.Module:
    if has_import(module, name):
        return module
    body = list(module.body)
    group = _group(name, first_party)
    imports = [(i, m) for i, m in _leading_imports(body) if not _is_future(m)]
    new = cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(name=cst.parse_expression(name))])])
    same = [(i, m) for i, m in imports if _group(m, first_party) == group]
    # Within a group isort puts `import x` lines before `from x import y` lines.
    plain = [(i, m) for i, m in same if isinstance(body[i].body[0], cst.Import)]
    if plain:
        after = [i for i, m in plain if m <= name]
        if after:
            return _insert(module, body, after[-1] + 1, new, blank_before=False)
        return _insert_before(module, body, plain[0][0], new, separate=False)
    if same:
        return _insert_before(module, body, same[0][0], new, separate=False)
    earlier = [i for i, m in imports if _group(m, first_party) < group]
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


def _preamble_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index after the module docstring and `from __future__` imports."""
    index = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        index = 1
    while index < len(body) and _is_future(_imported_module(body[index])):
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


def _references(module: cst.Module, name: str) -> int:
    class Counter(cst.CSTVisitor):
        def __init__(self) -> None:
            self.count = 0

        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)  # `x.name` does not use a variable called `name`
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)  # nor does the keyword of `f(name=...)`
            return False

        def visit_Name(self, node: cst.Name) -> None:
            self.count += node.value == name

    counter = Counter()
    module.visit(counter)
    return counter.count


def remove_unused_import(module: cst.Module, name: str, source: str | None = None) -> cst.Module:
    """Drop `import name` (or `from source import name`) when it is a line of its own and unused."""
    if _references(module, name):
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
