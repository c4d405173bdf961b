"""Which expressions provably denote an asyncio-mqtt Client, and where each Client is created.

A client is known when it is bound by `async with Client(...) as c`, `c = Client(...)`,
`self.c = Client(...)`, a parameter annotated `Client`, or an alias of one of those. An attribute
`self.c` counts every binding in its class: resets to None (`self.c = None` in close()) do not hide
the client, but a binding to anything else that is not provably a client makes it unknown.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment

from bot.analysis import Binding

from .mqtt_names import CLIENT_QUALIFIED_NAMES
from .source import Source

MAX_ALIAS_DEPTH = 8


@dataclass(eq=False)
class ClientBinding:
    """One client object: its construction, or the function whose parameter receives it."""

    construction: cst.Call | None
    receiving_function: cst.FunctionDef | None = None
    parameter: cst.Param | None = None


class ClientIndex(cst.CSTVisitor):
    def __init__(self, source: Source) -> None:
        self.source = source
        self.constructions: list[cst.Call] = []
        self._targets: dict[cst.CSTNode, ClientBinding | cst.BaseExpression] = {}
        self._attribute_bindings: dict[int, ClientBinding] = {}  # id(first binding statement) -> client

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
            self._targets[node] = ClientBinding(construction=None, receiving_function=receiving, parameter=node)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """Names only: `self.attr` bindings come from the service analysis (all of them, in every method)."""
        if not isinstance(target, cst.Name):
            return
        if self.is_construction(value):
            self._targets[target] = ClientBinding(construction=value)  # type: ignore[arg-type]
        elif isinstance(value, (cst.Name, cst.Attribute)):
            self._targets[target] = value  # an alias, resolved on demand once every binding is known

    def resolve(self, expression: cst.BaseExpression, depth: int = 0) -> ClientBinding | None:
        if depth > MAX_ALIAS_DEPTH:
            return None
        if isinstance(expression, cst.Name):
            bound = self._bound_to_name(expression)
        elif self.attribute_bindings(expression):
            return self._attribute(expression, depth)  # type: ignore[arg-type]
        else:
            return None
        if bound is None or isinstance(bound, ClientBinding):
            return bound
        return self.resolve(bound, depth + 1)

    def attribute_bindings(self, expression: cst.BaseExpression) -> list[Binding]:
        """Every binding of `self.<attr>` in the expression's class, in every method (empty for others)."""
        if not isinstance(expression, cst.Attribute):
            return []
        klass = self.source.analysis.self_class(self.source.parsed, expression.value)
        if klass is None:
            return []
        return self.source.analysis.attribute_bindings(self.source.parsed, klass, expression.attr.value)

    def _attribute(self, expression: cst.Attribute, depth: int) -> ClientBinding | None:
        """One binding per client attribute, whatever the number of places that (re)create the client.

        Resets to None do not hide the client; a binding to anything not provably a client makes it unknown.
        """
        bindings = self.attribute_bindings(expression)
        clients = []
        for binding in bindings:
            if binding.is_none:
                continue
            value = binding.value
            if self.is_construction(value):
                resolved = ClientBinding(construction=value)  # type: ignore[arg-type]
            elif isinstance(value, (cst.Name, cst.Attribute)) and value is not expression:
                resolved = self.resolve(value, depth + 1)
            else:
                resolved = None
            if resolved is None:
                return None
            clients.append(resolved)
        if not clients:
            return None
        if len(clients) == 1 and clients[0].parameter is not None:
            return clients[0]  # injected (`self.client = client` in __init__): traced to the callers
        key = id(bindings[0].statement)
        if key not in self._attribute_bindings:
            constructions = {id(c.construction): c.construction for c in clients}
            single = next(iter(constructions.values())) if len(constructions) == 1 else None
            self._attribute_bindings[key] = ClientBinding(construction=single)
        return self._attribute_bindings[key]

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

    def parameter_of(self, expression: cst.BaseExpression, depth: int = 0) -> cst.Param | None:
        """The parameter (annotated or not) a name holds, following plain aliases (`c = client`)."""
        if not isinstance(expression, cst.Name) or depth > MAX_ALIAS_DEPTH:
            return None
        scope = self.source.scopes.get(expression)
        if scope is None:
            return None
        assignments = [r for a in scope.accesses[expression.value] if a.node is expression for r in a.referents]
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        node = assignments[0].node
        if isinstance(node, cst.Param):
            return node
        alias = self._targets.get(node)
        return self.parameter_of(alias, depth + 1) if isinstance(alias, cst.Name) else None

    def injected_parameter(self, expression: cst.BaseExpression) -> cst.Param | None:
        """The parameter a `self.attr` holds when its only binding (resets to None aside) is
        `self.attr = <parameter>`, as for a client handed to `__init__`, annotated or not."""
        values = [b.value for b in self.attribute_bindings(expression) if not b.is_none]
        if len(values) != 1 or values[0] is None:
            return None
        return self.parameter_of(values[0])
