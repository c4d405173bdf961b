"""Which definition an expression denotes, what class an object is an instance of, which functions carry a
decorator, and which expressions of the service evaluate to a given function."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst

from .bindings import Binding
from .names import children
from .parsed import ParsedModule
from .service import Definition

_MAX_DEPTH = 6
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})


@dataclass(frozen=True, eq=False)
class Reference:
    """An expression that evaluates to a function: `fn`, `mod.fn`, `obj.method`, `self.client.method`.

    proven is False for a name-based match (the receiver's class could not be proven, but exactly one
    function of that name in the service carries the decorator asked about)."""

    module: ParsedModule
    node: cst.BaseExpression
    definition: Definition
    proven: bool = True
    unbound: bool = False  # `Cls.method`: reached through the class, so self is passed explicitly

    @property
    def line(self) -> int:
        return self.module.line(self.node)

    @property
    def via_instance(self) -> bool:
        """`obj.method` on an instance: the call's first positional argument goes to the second parameter."""
        return (isinstance(self.node, cst.Attribute) and self.definition.owner is not None and not self.unbound
                and not _has_decorator(self.definition.node, {"staticmethod"}))


class FunctionsMixin:
    # ----- what an expression denotes ---------------------------------------------------------

    def definition_of(self, parsed: ParsedModule, expression: cst.BaseExpression, depth: int = 0) -> Definition | None:
        """The service function/class/method `expression` evaluates to, when provable."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expression, cst.Name):
            found = None
            for binding in self.name_bindings(parsed, expression):
                if binding.kind in ("def", "class"):
                    candidate = self.definition_for(parsed, binding.target)
                elif binding.value is not None and binding.kind in ("assign", "annassign"):
                    candidate = self.definition_of(parsed, binding.value, depth + 1)
                elif binding.kind == "param":  # every caller passes the same function
                    passed = {self.definition_of(m, v, depth + 1) for m, v in self.arguments_for(parsed, binding.target)}
                    candidate = passed.pop() if len(passed) == 1 else None
                else:
                    candidate = None
                if candidate is None or (found is not None and candidate is not found):
                    break
                found = candidate
            else:
                if found is not None:
                    return found
        if isinstance(expression, (cst.Name, cst.Attribute)):
            names = self.names_of(parsed, expression)
            if len(names) == 1:
                found = self.definition(next(iter(names)))
                if found is not None:
                    return found
        if isinstance(expression, cst.Attribute):
            owner = self.definition_of(parsed, expression.value, depth + 1)
            if owner is not None and owner.is_class:  # Cls.method
                return self.member(owner, expression.attr.value)
            classes = self.instance_classes(parsed, expression.value, depth + 1)
            methods = {m for c in classes if (m := self.member(c, expression.attr.value)) is not None}
            if len(methods) == 1:
                return methods.pop()
        return None

    def instance_classes(self, parsed: ParsedModule, expression: cst.BaseExpression, depth: int = 0) -> set[Definition]:
        """Service classes `expression` is provably an instance of: `Cls(...)`, `self` in a method, a name or
        `self.attr` bound (anywhere, not only last) to one of those, a parameter annotated with the class,
        a pytest fixture parameter whose fixture returns one. Resets to None are ignored."""
        if depth > _MAX_DEPTH:
            return set()
        if isinstance(expression, cst.Await):
            return self.instance_classes(parsed, expression.expression, depth + 1)
        if isinstance(expression, cst.Call):
            callee = self.definition_of(parsed, expression.func, depth + 1)
            if callee is not None and callee.is_class:
                return {callee}
            if callee is not None and callee.is_function:  # a factory: what it returns
                return self._returned_classes(callee, depth + 1)
            return set()
        klass = self.self_class(parsed, expression)
        if klass is not None:
            return {self.definition_for(parsed, klass)}
        bindings = self.bindings_of(parsed, expression)
        if not bindings and isinstance(expression, cst.Attribute):  # obj.attr where obj's class is known
            for owner in self.instance_classes(parsed, expression.value, depth + 1):
                bindings += self.attribute_bindings(owner.module, owner.node, expression.attr.value)
        found: set[Definition] = set()
        for binding in bindings:
            found |= self._binding_classes(binding, depth + 1)
        if not found and isinstance(expression, (cst.Name, cst.Attribute)):  # a module variable, maybe imported
            for variable in self._module_variables(parsed, expression):
                found |= self.instance_classes(variable.module, variable.node.value, depth + 1)
        return found

    def _module_variables(self, parsed: ParsedModule, expression: cst.BaseExpression) -> list[Definition]:
        names = self.names_of(parsed, expression)
        found = [self.definition(name) for name in names]
        return [d for d in found if d is not None and isinstance(d.node, (cst.Assign, cst.AnnAssign))
                and d.node.value is not None]

    def _binding_classes(self, binding: Binding, depth: int) -> set[Definition]:
        parsed = binding.module
        if binding.kind == "param":
            param = binding.target
            found: set[Definition] = set()
            if param.annotation is not None:
                annotated = self.definition_of(parsed, param.annotation.annotation, depth)
                if annotated is not None and annotated.is_class:
                    found.add(annotated)
            for fixture in self.fixtures_named(param.name.value, parsed.path):
                found |= self._returned_classes(fixture, depth)
            if not found and depth < _MAX_DEPTH:  # what the service's callers pass for it
                for module, value in self.arguments_for(parsed, param):
                    found |= self.instance_classes(module, value, depth + 1)
            return found
        found = set()
        if isinstance(binding.statement, cst.AnnAssign):  # `client: Client` / `self.client: Client = ...`
            annotated = self.definition_of(parsed, binding.statement.annotation.annotation, depth)
            if annotated is not None and annotated.is_class:
                found.add(annotated)
        if binding.value is not None and not binding.is_none:
            found |= self.instance_classes(binding.module, binding.value, depth)
        return found

    def _returned_classes(self, function: Definition, depth: int) -> set[Definition]:
        found: set[Definition] = set()
        for value in self.returned_values(function):
            if value is not None:
                found |= self.instance_classes(function.module, value, depth)
        return found

    def returned_values(self, function: Definition) -> list[cst.BaseExpression | None]:
        """What a function hands back: the value of each of its own `return`/`yield` (nested functions
        excluded); None for a bare `return`/`yield` (`yield from` is left out)."""
        if not isinstance(function.node, cst.FunctionDef):
            return []
        return [node.value for node in _own_nodes(function.node)
                if isinstance(node, cst.Return) or (isinstance(node, cst.Yield) and not isinstance(node.value, cst.From))]

    # ----- decorators and fixtures ------------------------------------------------------------

    def decorated(self, decorators: Iterable[str]) -> list[Definition]:
        """Every function or method of the service (nested in other functions too) with a decorator whose
        qualified name is in `decorators` (`@d` and `@d(...)` alike), in file and line order."""
        wanted = frozenset(decorators)
        key = ("decorated", wanted)
        if key not in self._memo:
            words = {name.rsplit(".", 1)[-1] for name in wanted}
            for parsed in self.modules(self.files_mentioning(*words)):  # `policy = retry(...)` makes `@policy`
                for name, node in parsed.top_level.items():
                    value = node.value if isinstance(node, (cst.Assign, cst.AnnAssign)) else None
                    if isinstance(value, cst.Call) and self.names_of(parsed, value.func) & wanted:
                        words.add(name)
            found = []
            for parsed in self.modules(self.files_mentioning(*words)):
                for node in parsed.of_type(cst.FunctionDef):
                    if self.is_decorated(parsed, node, wanted):
                        found.append(self.definition_for(parsed, node))
            self._memo[key] = found
        return list(self._memo[key])

    def is_decorated(self, parsed: ParsedModule, function: cst.FunctionDef, decorators: Iterable[str]) -> bool:
        wanted = set(decorators)
        for decorator in function.decorators:
            expression = decorator.decorator
            target = expression.func if isinstance(expression, cst.Call) else expression
            if self.names_of(parsed, target) & wanted:
                return True
            if isinstance(expression, (cst.Name, cst.Attribute)) and self._is_configured(parsed, expression, wanted):
                return True
        return False

    def _is_configured(self, parsed: ParsedModule, expression: cst.BaseExpression, wanted: set[str]) -> bool:
        """`policy = retry(stop=...)` (module-level, imported, or local) then `@policy`."""
        values = [(b.module, b.value) for b in self.bindings_of(parsed, expression) if b.value is not None]
        values += [(d.module, d.node.value) for d in self._module_variables(parsed, expression)]
        return any(isinstance(value, cst.Call) and self.names_of(module, value.func) & wanted
                   for module, value in values)

    def fixtures_named(self, name: str, requesting_path: str) -> list[Definition]:
        """pytest fixtures called `name` visible from a test file: its own, or any conftest.py of the service
        (pytest picks the nearest; all are returned, which is what a proof by class needs)."""
        if "test" not in requesting_path and "conftest" not in requesting_path:
            return []
        fixtures = self.decorated(FIXTURE_DECORATORS)
        return [f for f in fixtures if fixture_name(f) == name
                and (f.module.path == requesting_path or f.module.path.endswith("conftest.py"))]

    # ----- expressions that evaluate to a function ---------------------------------------------

    def references_to(self, function: Definition, fallback_among: Sequence[Definition] = ()) -> list[Reference]:
        """Loads of `function` anywhere in the service (`fn`, `mod.fn`, `obj.method`), its own `def` excluded.

        fallback_among: when a receiver's class cannot be proven, `x.<name>` still counts (proven=False) if
        `function` is the only definition called <name> among these (e.g. all @retry-decorated functions)."""
        key = ("references", id(function.node), tuple(id(d.node) for d in fallback_among))
        if key in self._memo:
            return list(self._memo[key])
        self._memo[key] = []  # a question that leads back to itself gets "none" instead of recursing forever
        name = function.short
        unique = sum(1 for d in fallback_among if d.short == name) == 1 and any(d is function for d in fallback_among)
        found: list[Reference] = []
        for parsed in self.modules(self.files_mentioning(name)):
            for node in parsed.of_type(cst.Name, cst.Attribute):
                if isinstance(node, cst.Name):
                    if node.value == name and not _in_import(parsed, node) \
                            and (not isinstance(parsed.parent(node), cst.Attribute) or parsed.parent(node).value is node) \
                            and parsed.is_load(node) and self.definition_of(parsed, node) is function:
                        found.append(Reference(parsed, node, function))
                elif node.attr.value == name and not _in_import(parsed, node) and parsed.is_load(node):
                    target = self.definition_of(parsed, node)
                    if target is function:
                        found.append(self.reference(parsed, node, function))
                    elif target is None and unique and not self.receiver_known(parsed, node.value):
                        found.append(Reference(parsed, node, function, proven=False))
        self._memo[key] = found
        return list(found)

    def reference(self, parsed: ParsedModule, node: cst.BaseExpression, function: Definition,
                  proven: bool = True) -> Reference:
        unbound = False
        if isinstance(node, cst.Attribute) and function.owner is not None:
            receiver = self.definition_of(parsed, node.value)
            unbound = receiver is not None and receiver.is_class
        return Reference(parsed, node, function, proven, unbound)

    def may_be_called_unseen(self, method: Definition) -> bool:
        """Some `x.<name>` in the service, <name> being the method's, resolves to no definition and its
        receiver is unknown (see receiver_known): it may be this method, called with anything."""
        key = ("called_unseen", id(method.node))
        if key not in self._memo:
            name = method.short
            self._memo[key] = any(
                parsed.is_load(node) and self.definition_of(parsed, node) is None
                and not self.receiver_known(parsed, node.value)
                for parsed in self.modules(self.files_mentioning(name)) for node in parsed.attributes_named(name))
        return self._memo[key]

    def receiver_known(self, parsed: ParsedModule, receiver: cst.BaseExpression) -> bool:
        """Something is known about what `receiver` is: a name from outside the service (a module, a library
        object), or an instance of service classes. A name-based match is only for receivers not known."""
        names = self.names_of(parsed, receiver)
        if names and not any(self.definition(n) is not None for n in names):
            return True
        return bool(self.instance_classes(parsed, receiver))


def _in_import(parsed: ParsedModule, node: cst.CSTNode) -> bool:
    """Import statements bind names (libcst labels them LOAD); they are no use of the function."""
    if not isinstance(node, (cst.Name, cst.Attribute)):
        return False
    for ancestor in parsed.ancestors(node):
        if isinstance(ancestor, cst.ImportAlias):
            return True
        if not isinstance(ancestor, cst.Attribute):
            return False
    return False


def _own_nodes(function: cst.FunctionDef):
    """Nodes of a function's body, nested functions and classes excluded."""
    stack = children(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(children(node))


def _has_decorator(node: cst.CSTNode, names: set[str]) -> bool:
    return isinstance(node, cst.FunctionDef) and any(
        isinstance(d.decorator, cst.Name) and d.decorator.value in names for d in node.decorators)


def fixture_name(fixture: Definition) -> str:
    """The name tests request a fixture by: `@pytest.fixture(name="mqtt")` -> "mqtt", else the function's name."""
    for decorator in fixture.node.decorators:
        if isinstance(decorator.decorator, cst.Call):
            for arg in decorator.decorator.args:
                if arg.keyword is not None and arg.keyword.value == "name" and isinstance(arg.value, cst.SimpleString):
                    return str(arg.value.evaluated_value)
    return fixture.short

