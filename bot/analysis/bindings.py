"""Where a name or `self.attr` is bound: every assignment, never only the last one."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, Scope

from .parsed import ParsedModule

_MAX_ALIAS_DEPTH = 8


@dataclass(frozen=True, eq=False)
class Binding:
    """One place that binds a name or attribute.

    kind: "assign", "annassign", "augassign", "with", "for", "walrus", "param", "def", "class",
          "import", "except", "class-attr", "other".
    value: the expression bound, when one is known (`x = <value>`, `with <value> as x`); the tuple
           element for `a, b = x, y`; None for params, loops, imports, augmented assignments.
    """

    module: ParsedModule
    target: cst.CSTNode  # the bound Name/Attribute, or the Param/FunctionDef/ClassDef/Import node
    statement: cst.CSTNode
    kind: str
    value: cst.BaseExpression | None = None

    @property
    def line(self) -> int:
        return self.module.line(self.target)

    @property
    def is_none(self) -> bool:
        """`x = None`: a reset, not a new object (it never hides the other bindings)."""
        return isinstance(self.value, cst.Name) and self.value.value == "None"


def _in_line_order(found: list[Binding]) -> list[Binding]:
    """Sorted by line, then kind; one binding needs no line (a file's positions cost a codegen pass)."""
    return sorted(found, key=lambda b: (b.line, b.kind)) if len(found) > 1 else found


class BindingsMixin:
    def bindings_of(self, parsed: ParsedModule, expression: cst.BaseExpression) -> list[Binding]:
        """Every binding that may give `expression` its value: all assignments of a Name visible where it is
        used (any scope it resolves to), or of `self.attr` across all methods of the enclosing class."""
        if isinstance(expression, cst.Name):
            return self.name_bindings(parsed, expression)
        if isinstance(expression, cst.Attribute):
            klass = self.self_class(parsed, expression.value)
            if klass is not None:
                return self.attribute_bindings(parsed, klass, expression.attr.value)
        return []

    def name_bindings(self, parsed: ParsedModule, name: cst.Name) -> list[Binding]:
        scope = parsed.scope(name)
        if scope is None:
            return []
        referents = {a for access in scope.accesses[name.value] if access.node is name for a in access.referents}
        if not referents:  # `name` is itself a binding occurrence (or unknown): the scope's own assignments
            referents = set(scope.assignments[name.value]) if name.value in scope.assignments else set()
        found = [b for a in referents if (b := _binding_of(parsed, a)) is not None]
        return _in_line_order(found)

    def scope_bindings(self, parsed: ParsedModule, scope: Scope, name: str) -> list[Binding]:
        """All bindings of `name` made in `scope` itself."""
        if name not in scope.assignments:
            return []
        found = [b for a in scope.assignments[name] if (b := _binding_of(parsed, a)) is not None]
        return _in_line_order(found)

    def attribute_bindings(self, parsed: ParsedModule, klass: cst.ClassDef, attr: str) -> list[Binding]:
        """`self.<attr> = ...` (any assignment form) in every method of `klass`, and `attr = ...` in its body."""
        key = ("attribute_bindings", id(klass), attr)
        if key in self._memo:
            return self._memo[key]
        found: list[Binding] = []
        for statement in klass.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name) and target.target.value == attr:
                                found.append(Binding(parsed, target.target, small, "class-attr", small.value))
                    elif (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
                          and small.target.value == attr):
                        found.append(Binding(parsed, small.target, small, "class-attr", small.value))
        for node in parsed.attributes_named(attr):
            if parsed.is_inside(node, klass.body) and self.self_class(parsed, node.value) is klass:
                binding = _binding_of_target(parsed, node)
                if binding is not None:
                    found.append(binding)
        found = _in_line_order(found)
        self._memo[key] = found
        return found

    def parameter_held(self, parsed: ParsedModule, expression: cst.BaseExpression, depth: int = 0) -> cst.Param | None:
        """The parameter whose value `expression` holds: a name bound once, to a parameter or to a plain alias of
        one (`c = client`); `self.attr` whose one binding, resets to None aside, is such a name (an object
        handed to `__init__`). None otherwise."""
        if depth > _MAX_ALIAS_DEPTH:
            return None
        if isinstance(expression, cst.Name):
            bindings = self.name_bindings(parsed, expression)
            if len(bindings) != 1:
                return None
            binding = bindings[0]
            if binding.kind == "param":
                return binding.target
            if binding.kind in ("assign", "annassign", "with") and isinstance(binding.value, cst.Name):
                return self.parameter_held(parsed, binding.value, depth + 1)
            return None
        if isinstance(expression, cst.Attribute):
            values = [b.value for b in self.bindings_of(parsed, expression) if not b.is_none]
            if len(values) == 1 and isinstance(values[0], cst.Name):
                return self.parameter_held(parsed, values[0], depth + 1)
        return None

    def self_class(self, parsed: ParsedModule, expression: cst.BaseExpression) -> cst.ClassDef | None:
        """The class whose instance `expression` is when it is the first parameter (self) of one of the class's
        methods (also when used from a function nested in the method)."""
        if not isinstance(expression, cst.Name):
            return None
        for binding in self.name_bindings(parsed, expression):
            if binding.kind != "param":
                return None
            function = parsed.enclosing_function(binding.target)
            klass = parsed.method_class(function)
            if (klass is None or not function.params.params or function.params.params[0] is not binding.target
                    or _is_static(function)):
                return None
            return klass
        return None


def _is_static(function: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)


def _binding_of(parsed: ParsedModule, assignment) -> Binding | None:
    if not isinstance(assignment, Assignment):
        node = getattr(assignment, "node", None)  # ImportAssignment and co.
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return Binding(parsed, node, node, "import")
        return None
    node = assignment.node
    if isinstance(node, cst.Param):
        return Binding(parsed, node, node, "param")
    if isinstance(node, cst.FunctionDef):
        return Binding(parsed, node, node, "def")
    if isinstance(node, cst.ClassDef):
        return Binding(parsed, node, node, "class")
    if isinstance(node, (cst.Name, cst.Attribute)):
        return _binding_of_target(parsed, node) or Binding(parsed, node, parsed.statement_of(node), "other")
    return None


def assigned_value(parsed: ParsedModule, target: cst.CSTNode) -> cst.BaseExpression | None:
    """The value an assignment gives `target` (a Name or Attribute being assigned): `target = value`,
    `a = target = value`, `target: T = value`, the matching element of `a, target = x, y`; None for any other
    binding (loops, with, imports, augmented assignments), an annotation without a value, or a read."""
    binding = _binding_of_target(parsed, target)
    return binding.value if binding is not None and binding.kind in ("assign", "annassign") else None


def _binding_of_target(parsed: ParsedModule, target: cst.CSTNode) -> Binding | None:
    """The binding a Name/Attribute makes when it is an assignment target; None when it is only read."""
    child, element_path = target, []
    for ancestor in parsed.ancestors(target):
        if isinstance(ancestor, (cst.Tuple, cst.List)):
            element_path.append(next(i for i, e in enumerate(ancestor.elements) if e is child))
            child = ancestor
            continue
        if isinstance(ancestor, (cst.Element, cst.StarredElement)):
            child = ancestor
            continue
        if isinstance(ancestor, cst.AssignTarget):
            assign = parsed.parent(ancestor)
            return Binding(parsed, target, assign, "assign", _element(assign.value, element_path))
        if isinstance(ancestor, cst.AnnAssign) and ancestor.target is child:
            return Binding(parsed, target, ancestor, "annassign", _element(ancestor.value, element_path))
        if isinstance(ancestor, cst.AugAssign) and ancestor.target is child:
            return Binding(parsed, target, ancestor, "augassign")
        if isinstance(ancestor, cst.AsName):
            holder = parsed.parent(ancestor)
            if isinstance(holder, cst.WithItem):
                return Binding(parsed, target, parsed.parent(holder), "with", _element(holder.item, element_path))
            if isinstance(holder, cst.ExceptHandler):
                return Binding(parsed, target, holder, "except")
            return None
        if isinstance(ancestor, (cst.For, cst.CompFor)) and ancestor.target is child:
            return Binding(parsed, target, ancestor, "for")
        if isinstance(ancestor, cst.NamedExpr) and ancestor.target is child:
            return Binding(parsed, target, ancestor, "walrus", ancestor.value)
        return None
    return None


def _element(value: cst.BaseExpression | None, path: list[int]) -> cst.BaseExpression | None:
    """The part of `value` that an unpacking target at `path` (outermost index last) receives."""
    for index in reversed(path):
        if not isinstance(value, (cst.Tuple, cst.List)) or index >= len(value.elements):
            return None
        element = value.elements[index]
        if isinstance(element, cst.StarredElement):
            return None
        value = element.value
    return value
