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
    held = _field_values(index, parsed, leaf) if isinstance(leaf, cst.Attribute) else None
    if held is not None:  # a field of a settings object (NamedTuple, dataclass, plain class): what it can hold
        for module, value in held:
            found = custom_wait(index, module, value, depth + 1)
            if found:
                return f"`{code}` can hold {found}"
        return None
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


def _field_values(index: ServiceIndex, parsed: ParsedModule,
                  leaf: cst.Attribute) -> list[tuple[ParsedModule, cst.BaseExpression]] | None:
    """Every value `settings.wait` can hold when `settings` is provably an instance of one service class
    (a NamedTuple, a dataclass, a plain settings class): the field's default, what each construction of the
    class passes for it (by keyword, or by position in field order), what its methods assign to
    `self.wait`, and `obj.wait = ...` on an instance anywhere in the service. None when that cannot be
    known (no such class or field, `*args`/`**kwargs` at a construction, a property): the caller then
    treats the wait as it would any other unknown callable."""
    analysis = index.analysis
    classes = analysis.instance_classes(parsed, leaf.value)
    if len(classes) != 1:
        return None
    [klass] = classes
    attr = leaf.attr.value
    if not klass.is_class or analysis.member(klass, attr) is not None:
        return None  # a method or property of that name: not a stored field
    bindings = analysis.attribute_bindings(klass.module, klass.node, attr)
    fields = _fields(klass.node)
    if not bindings and attr not in fields:
        return None  # maybe inherited or set from outside: nothing provable
    values: list[tuple[ParsedModule, cst.BaseExpression]] = []
    for binding in bindings:
        if binding.kind == "class-attr":
            if binding.value is None:
                continue
            default = _field_default(index, klass.module, binding.value)
            if default is None:
                return None
            values.append((klass.module, default))
        elif binding.value is not None:
            values.append((binding.module, binding.value))
        else:
            return None  # `for self.wait in ...`, `with ... as self.wait`: not followed
    position = fields.index(attr) if attr in fields else None
    constructions = _constructions(index, parsed, leaf.value, klass)
    if constructions is None:  # any instance of the class: every construction in the service
        constructions = [(site.module, site.call) for site in analysis.call_sites(klass)]
    for module, call in constructions:
        if any(arg.star for arg in call.args):
            return None
        positional = [arg for arg in call.args if arg.keyword is None]
        passed = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == attr]
        if position is not None and position < len(positional):
            passed.append(positional[position].value)
        values += [(module, value) for value in passed]
    for module in analysis.modules(analysis.files_mentioning(attr)):
        for node in module.of_type(cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and target.target.attr.value == attr \
                        and analysis.self_class(module, target.target.value) is None \
                        and klass in analysis.instance_classes(module, target.target.value):
                    values.append((module, node.value))
    return values


def _constructions(index: ServiceIndex, parsed: ParsedModule, receiver: cst.BaseExpression,
                   klass) -> list[tuple[ParsedModule, cst.Call]] | None:
    """The constructions of `klass` a receiver can be, when it is a variable every binding of which is one
    (`SETTINGS = RetrySettings()`, also imported): then only those instances matter. None otherwise."""
    analysis = index.analysis
    bindings = analysis.bindings_of(parsed, receiver) if isinstance(receiver, cst.Name) else []
    if not bindings:
        definition = analysis.definition_of(parsed, receiver) if isinstance(receiver, (cst.Name, cst.Attribute)) \
            else None
        if definition is None or not isinstance(definition.node, (cst.Assign, cst.AnnAssign)):
            return None
        scope = definition.module.scope(definition.node)
        bindings = analysis.scope_bindings(definition.module, scope, definition.name.rpartition(".")[2]) \
            if scope is not None else []
    found = []
    for binding in bindings:
        value = binding.value
        if not isinstance(value, cst.Call) or binding.kind == "param" \
                or analysis.definition_of(binding.module, value.func) != klass:
            return None
        found.append((binding.module, value))
    return found or None


def _fields(klass: cst.ClassDef) -> list[str]:
    """The class's annotated class-level names in order: the positional order of a NamedTuple's or a
    dataclass's constructor."""
    return [small.target.value for statement in klass.body.body if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)]


def _field_default(index: ServiceIndex, parsed: ParsedModule, value: cst.BaseExpression) -> cst.BaseExpression | None:
    """The default a class-level field holds: `field(default=x)` / `Field(default=x)` -> x,
    `field(default_factory=lambda: x)` -> x; None when not known (another factory)."""
    if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)) \
            and parsed.code(value.func).rpartition(".")[2] in ("field", "Field"):
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                return arg.value
            if arg.keyword is not None and arg.keyword.value == "default_factory":
                factory = arg.value
                if isinstance(factory, cst.Lambda):
                    return factory.body
                return factory if _is_tenacity(index, parsed, factory) else None  # wait_none: tenacity's own
        positional = [arg for arg in value.args if arg.keyword is None]
        return positional[0].value if positional and parsed.code(value.func).endswith("Field") else None
    return value


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
