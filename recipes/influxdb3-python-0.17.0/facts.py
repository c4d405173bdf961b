"""What the analysis collects from a module: its v2 imports, write sites, and the nodes to look at."""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass
class NameImport:
    """One name bound by `from influxdb_client... import X [as Y]`."""

    v2_name: str
    alias: cst.ImportAlias
    references: list[cst.CSTNode]
    # Other plain `NAME = ...` bindings of the same name in the same scope (`except ImportError: X = None`):
    # the references may read either one, so a renamed import renames them too.
    rebinds: list[cst.Name] = field(default_factory=list)


@dataclass
class FromImport:
    line: cst.SimpleStatementLine
    statement: cst.ImportFrom
    names: list[NameImport]


@dataclass
class ModuleImport:
    """`import influxdb_client[.sub] [as alias]` statements binding one `root`; uses are chains on it."""

    root: str
    aliases: list[tuple[cst.SimpleStatementLine, cst.Import, cst.ImportAlias]]
    mapped: list[tuple[cst.Attribute, str, cst.Name]] = field(default_factory=list)  # prefix, v3 name, root
    unmapped: list[cst.CSTNode] = field(default_factory=list)

    @property
    def statements(self) -> set:
        return {statement for _, statement, _ in self.aliases}


@dataclass
class WriteSite:
    call: cst.Call
    bucket: cst.BaseExpression
    specs: list


class NodeCollector(cst.CSTVisitor):
    """Calls, names (outside imports), attributes and import lines, in source order."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.names: list[cst.Name] = []
        self.attributes: list[cst.Attribute] = []
        self.import_lines: list[cst.SimpleStatementLine] = []
        self._in_import = 0

    def visit_SimpleStatementLine(self, node) -> None:
        if any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body):
            self.import_lines.append(node)

    def visit_Import(self, node) -> None:
        self._in_import += 1

    def leave_Import(self, node) -> None:
        self._in_import -= 1

    def visit_ImportFrom(self, node) -> None:
        self._in_import += 1

    def leave_ImportFrom(self, node) -> None:
        self._in_import -= 1

    def visit_Call(self, node) -> None:
        self.calls.append(node)

    def visit_Name(self, node) -> None:
        if not self._in_import:
            self.names.append(node)

    def visit_Attribute(self, node) -> None:
        self.attributes.append(node)
