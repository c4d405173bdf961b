"""TEN005: which `wait=` callables are not tenacity's own, and what their side effects are.

Since 8.3.0 the wait strategy is also evaluated on the final attempt, so a custom wait runs once more
per exhausted run. Its side effects (metrics, counters, logs) cannot be ruled out unless the callable is
a tenacity built-in or provably pure, so every other callable is reviewed: closures, callables built by
factories or wrappers (`counted(wait_exponential())`), `functools.partial`, objects with `__call__`,
callables from other libraries, and parameters that receive any of those at a call site.
"""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from . import names
from .service_index import ParsedModule, ServiceIndex, walk

_PURE_BUILTINS = frozenset({"min", "max", "abs", "float", "int", "round", "pow", "len"})
_MAX_DEPTH = 5


def wait_leaves(index: ServiceIndex, parsed: ParsedModule, wait: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The strategies a wait is made of: `a + b` and wait_combine/wait_chain are opened up."""
    if isinstance(wait, cst.BinaryOperation) and isinstance(wait.operator, cst.Add):
        yield from wait_leaves(index, parsed, wait.left)
        yield from wait_leaves(index, parsed, wait.right)
    elif isinstance(wait, cst.Call) and index.refers_to(parsed, wait.func, names.WAIT_COMBINATORS):
        for arg in wait.args:
            yield from wait_leaves(index, parsed, arg.value)
    else:
        yield wait


def custom_wait(index: ServiceIndex, parsed: ParsedModule, leaf: cst.BaseExpression, depth: int = 0) -> str | None:
    """What makes this wait strategy custom ("`observed` has a side effect (...)"), or None when it is a
    tenacity built-in, provably pure, or nothing is known about it (a bare parameter with no caller)."""
    if depth > _MAX_DEPTH or _is_number(leaf):
        return None
    if _is_tenacity(index, parsed, leaf):
        return None
    code = parsed.code(leaf)
    if isinstance(leaf, cst.BooleanOperation):  # `recorder or RecordingWait()`
        return custom_wait(index, parsed, leaf.left, depth + 1) or custom_wait(index, parsed, leaf.right, depth + 1)
    if isinstance(leaf, cst.IfExp):
        return custom_wait(index, parsed, leaf.body, depth + 1) or custom_wait(index, parsed, leaf.orelse, depth + 1)
    if isinstance(leaf, cst.Lambda):
        impure = _first_impure(index, parsed, leaf.body)
        return f"`{code}` calls {impure}" if impure else None
    analysis = index.analysis
    if isinstance(leaf, cst.Call):
        if index.refers_to(parsed, leaf.func, {"functools.partial"}):
            return f"`{code}` is a functools.partial{_effect_suffix(index, parsed, leaf.args[0].value, depth)}" \
                if leaf.args else f"`{code}` is a functools.partial"
        built_by = analysis.definition_of(parsed, leaf.func)
        if built_by is not None and built_by.is_class:
            method = analysis.member(built_by, "__call__")
            if method is None:
                return None  # no __call__ of its own in the service: a tenacity strategy subclass
            effect = _body_effect(index, method.module, method.node)
            return f"`{code}` is an object whose __call__ {effect}" if effect else None
        if built_by is not None and built_by.is_function:
            return (f"`{code}` is built by the service's factory `{built_by.short}` "
                    f"({built_by.describe()}){_returned_effect(index, built_by, depth)}")
        return f"`{code}` builds a callable tenacity does not provide"
    if not isinstance(leaf, (cst.Name, cst.Attribute)):
        return f"`{code}` is a custom callable"
    definition = analysis.definition_of(parsed, leaf)
    if definition is not None and definition.is_function:
        effect = _body_effect(index, definition.module, definition.node)
        return f"`{code}` {effect} ({definition.describe()})" if effect else None
    if definition is not None and isinstance(definition.node, (cst.Assign, cst.AnnAssign)) \
            and definition.node.value is not None:
        return custom_wait(index, definition.module, definition.node.value, depth + 1)
    bindings = analysis.bindings_of(parsed, leaf)
    for binding in bindings:
        found = None
        if binding.kind == "param":
            found = _parameter_wait(index, binding, depth)
        elif binding.value is not None:
            found = custom_wait(index, binding.module, binding.value, depth + 1)
        elif binding.kind == "import":
            found = f"`{code}` comes from outside tenacity"
        if found:
            return found
    if not bindings and analysis.names_of(parsed, leaf):
        return f"`{code}` is not a tenacity wait"
    return None


def _parameter_wait(index: ServiceIndex, binding, depth: int) -> str | None:
    """A `wait` parameter: its default and what the service's callers pass for it."""
    param = binding.target
    for module, value in index.analysis.arguments_for(binding.module, param):
        found = custom_wait(index, module, value, depth + 1)
        if found:
            return f"passed for `{param.name.value}` at {module.path}:{module.line(value)}: {found}"
    return None


def _returned_effect(index: ServiceIndex, factory, depth: int) -> str:
    """What the callable a factory returns does, as a suffix of the description."""
    for node in walk(factory.node.body):
        if isinstance(node, cst.Return) and node.value is not None:
            value = node.value
            if isinstance(value, cst.Lambda):
                impure = _first_impure(index, factory.module, value.body)
                return f", whose lambda calls {impure}" if impure else ""
            returned = index.analysis.definition_of(factory.module, value) if isinstance(value, cst.Name) else None
            if returned is not None and returned.is_function:
                effect = _body_effect(index, returned.module, returned.node)
                return f"; the closure it returns, `{returned.short}`, {effect}" if effect else ""
    return ""


def _effect_suffix(index: ServiceIndex, parsed: ParsedModule, target: cst.BaseExpression, depth: int) -> str:
    found = custom_wait(index, parsed, target, depth + 1)
    return f" of {found}" if found else ""


def _body_effect(index: ServiceIndex, parsed: ParsedModule, function: cst.FunctionDef) -> str | None:
    """"has a side effect (path:line: `code`)" or "calls x()" when the body is not provably pure."""
    for node in walk(function.body):
        effect = None
        if isinstance(node, (cst.Global, cst.Nonlocal, cst.AugAssign)):
            effect = node
        elif isinstance(node, cst.Assign) and any(isinstance(t.target, (cst.Attribute, cst.Subscript))
                                                  for t in node.targets):
            effect = node
        elif isinstance(node, cst.Expr) and isinstance(node.value, (cst.Call, cst.Await)):
            effect = node  # a call whose result is discarded runs for its effect
        if effect is not None:
            return f"has a side effect ({parsed.path}:{parsed.line(effect)}: `{parsed.code(effect)}`)"
    impure = _first_impure(index, parsed, function.body)
    return f"calls {impure}" if impure else None


def _first_impure(index: ServiceIndex, parsed: ParsedModule, body: cst.CSTNode) -> str | None:
    for node in walk(body):
        if isinstance(node, cst.Call) and not (isinstance(node.func, cst.Name) and node.func.value in _PURE_BUILTINS
                                               and index.names_of(parsed, node.func) <= {f"builtins.{node.func.value}"}):
            return f"{parsed.code(node.func)}()"
    return None


def _is_tenacity(index: ServiceIndex, parsed: ParsedModule, leaf: cst.BaseExpression) -> bool:
    target = leaf.func if isinstance(leaf, cst.Call) else leaf
    found = index.names_of(parsed, target)
    return bool(found) and all(n == "tenacity" or n.startswith("tenacity.") for n in found)


def _is_number(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) or (isinstance(node, cst.Name) and node.value == "None")
