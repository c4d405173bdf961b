"""One parsed module plus the libcst metadata (scope, parents, positions) the analysis asks about."""
from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import Assignment, PositionProvider, Scope

from bot.analysis import ParsedModule

from .service_index import ServiceIndex


class ModuleContext:
    """Reads the metadata the shared analysis resolved for this file (never resolves it again)."""

    def __init__(self, parsed: ParsedModule, index: ServiceIndex) -> None:
        self.parsed = parsed
        self.path = parsed.path
        self.module = parsed.tree
        self.index = index
        self.service = index.service
        self.package = parsed.package
        self.lines = parsed.text.splitlines()

    # --- tree navigation ---------------------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parsed.parent(node)

    def ancestors(self, node: cst.CSTNode):
        return self.parsed.ancestors(node)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        return self.parsed.enclosing_function(node)

    def method_class(self, function: cst.FunctionDef | None) -> cst.ClassDef | None:
        """The class `function` is a method of (directly in its body), else None."""
        return self.parsed.method_class(function)

    def self_name(self, function: cst.FunctionDef | None) -> str | None:
        if function is None or self.method_class(function) is None or not function.params.params:
            return None
        return function.params.params[0].name.value

    def call_of_method(self, receiver: cst.CSTNode, methods) -> tuple[str, cst.Call] | None:
        """`receiver.<method>(...)` with method in `methods` -> (method, call)."""
        attribute = self.parent(receiver)
        if not isinstance(attribute, cst.Attribute) or attribute.value is not receiver:
            return None
        call = self.parent(attribute)
        if isinstance(call, cst.Call) and call.func is attribute and attribute.attr.value in methods:
            return attribute.attr.value, call
        return None

    # --- scopes ------------------------------------------------------------------------------

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.parsed.scope(node)

    def visible_assignments(self, node: cst.CSTNode, name: str) -> frozenset:
        scope = self.scope(node)
        if scope is None:
            return frozenset()
        return frozenset(scope[name])

    def same_binding(self, name: str, here: cst.CSTNode, there: cst.CSTNode) -> bool:
        """`name` refers to the same assignments at both nodes (and to at least one)."""
        first = self.visible_assignments(here, name)
        return bool(first) and first == self.visible_assignments(there, name)

    def single_assignment_value(self, name_node: cst.Name) -> cst.BaseExpression | None:
        """The value of `name` when it is assigned exactly once (x = value) where it is visible."""
        assignments = self.visible_assignments(name_node, name_node.value)
        if len(assignments) != 1:
            return None
        (assignment,) = assignments
        if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
            return None
        return self.assigned_value(assignment.node)

    def assigned_value(self, target: cst.CSTNode) -> cst.BaseExpression | None:
        holder = self.parent(target)
        if isinstance(holder, cst.AssignTarget):
            assign = self.parent(holder)
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
                return assign.value
        if isinstance(holder, cst.AnnAssign) and holder.target is target:
            return holder.value
        return None

    # --- source ------------------------------------------------------------------------------

    def line(self, node: cst.CSTNode) -> int:
        return self.parsed.line(node)

    def position(self, node: cst.CSTNode):
        return self.parsed.get(PositionProvider, node)

    def statement_code(self, node: cst.CSTNode) -> str:
        """Source of the statement holding `node`, from its first line to the end of `node`."""
        statement = next(
            (a for a in self.ancestors(node)
             if isinstance(a, (cst.SimpleStatementLine, cst.BaseCompoundStatement))),
            node,
        )
        start = self.position(statement).start.line
        end = self.position(node).end.line
        if isinstance(statement, cst.SimpleStatementLine):
            end = max(end, self.position(statement).end.line)
        return textwrap.dedent("\n".join(self.lines[start - 1:end])).strip()

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)
