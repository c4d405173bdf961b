"""Which expressions provably denote an asyncio-mqtt Client, and where each Client is created.

A client is known when it is bound by `async with Client(...) as c`, `c = Client(...)`,
`self.c = Client(...)`, a parameter annotated `Client`, or an alias of one of those.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment

from .mqtt_names import CLIENT_QUALIFIED_NAMES
from .source import Source

MAX_ALIAS_DEPTH = 8


@dataclass(eq=False)
class ClientBinding:
    """One client object: its construction, or the function whose parameter receives it."""

    construction: cst.Call | None
    receiving_function: cst.FunctionDef | None = None


class ClientIndex(cst.CSTVisitor):
    def __init__(self, source: Source) -> None:
        self.source = source
        self.constructions: list[cst.Call] = []
        self._targets: dict[cst.CSTNode, ClientBinding | cst.BaseExpression] = {}
        self._attributes: dict[tuple[cst.ClassDef, str], ClientBinding | cst.BaseExpression] = {}

    def is_client_class(self, expression: cst.BaseExpression) -> bool:
        return bool(self.source.qualified_names(expression) & CLIENT_QUALIFIED_NAMES)

    def is_construction(self, expression: cst.BaseExpression | None) -> bool:
        return isinstance(expression, cst.Call) and self.is_client_class(expression.func)

    def visit_Call(self, node: cst.Call) -> None:
        if self.is_construction(node):
            self.constructions.append(node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self._bind(node.asname.name, node.item)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._bind(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)
        elif isinstance(node.target, cst.Name) and self.is_client_class(node.annotation.annotation):
            self._targets[node.target] = ClientBinding(construction=None)

    def visit_Param(self, node: cst.Param) -> None:
        if node.annotation is not None and self.is_client_class(node.annotation.annotation):
            function = self.source.enclosing_function(node)
            receiving = function if isinstance(function, cst.FunctionDef) else None
            # libcst records a parameter's binding on the Param node, not on its name.
            self._targets[node] = ClientBinding(construction=None, receiving_function=receiving)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        bound: ClientBinding | cst.BaseExpression | None
        if self.is_construction(value):
            bound = ClientBinding(construction=value)  # type: ignore[arg-type]
        elif isinstance(value, (cst.Name, cst.Attribute)):
            bound = value  # an alias, resolved on demand once every binding is known
        else:
            return
        if isinstance(target, cst.Name):
            self._targets[target] = bound
        elif self._is_self_attribute(target):
            owner = self.source.enclosing_class(target)
            if owner is not None:
                self._attributes[(owner, target.attr.value)] = bound  # type: ignore[union-attr]

    def resolve(self, expression: cst.BaseExpression, depth: int = 0) -> ClientBinding | None:
        if depth > MAX_ALIAS_DEPTH:
            return None
        if isinstance(expression, cst.Name):
            bound = self._bound_to_name(expression)
        elif self._is_self_attribute(expression):
            owner = self.source.enclosing_class(expression)
            bound = self._attributes.get((owner, expression.attr.value)) if owner else None  # type: ignore[union-attr]
        else:
            return None
        if bound is None or isinstance(bound, ClientBinding):
            return bound
        return self.resolve(bound, depth + 1)

    def _bound_to_name(self, name: cst.Name) -> ClientBinding | cst.BaseExpression | None:
        scope = self.source.scopes.get(name)
        if scope is None:
            return None
        assignments = [
            referent
            for access in scope.accesses[name.value]
            if access.node is name
            for referent in access.referents
        ]
        if not assignments and name in self._targets:
            return self._targets[name]  # the binding occurrence itself
        # Rebound names are ambiguous: only a single, known binding proves the object is a Client.
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        return self._targets.get(assignments[0].node)  # type: ignore[arg-type]

    def _is_self_attribute(self, expression: cst.BaseExpression) -> bool:
        return (
            isinstance(expression, cst.Attribute)
            and isinstance(expression.value, cst.Name)
            and expression.value.value == "self"
        )
