"""Parameter flow: the call sites of a service function with arguments mapped to parameters, and the
reverse: which parameters of service functions a value (a client, a write API object) is handed to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from .functions import Reference
from .parsed import ParsedModule
from .service import Definition

# Calls that call their first argument with the remaining ones (the function is "called" there).
DEFERRED_CALLERS = frozenset({"functools.partial", "asyncio.to_thread", "contextvars.copy_context"})
_DEFERRED_METHODS = frozenset({"run_in_executor", "submit", "start_soon", "call_soon", "call_soon_threadsafe"})
_MAX_FLOW_DEPTH = 6
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(frozen=True, eq=False)
class CallSite:
    """One call of a service function. arguments: parameter name -> argument expression, for the
    arguments that could be mapped (`*args`/`**kwargs` at the call site are not)."""

    module: ParsedModule
    call: cst.Call
    reference: Reference
    arguments: dict[str, cst.BaseExpression] = field(default_factory=dict)
    deferred: bool = False  # functools.partial(fn, ...), loop.run_in_executor(None, fn, ...), ...

    @property
    def line(self) -> int:
        return self.module.line(self.call)

    @property
    def repeated(self) -> bool:
        """The call may start its callee several times over: deferred (a partial can be called any number
        of times), in a comprehension, or not awaited in a loop of its function (tasks started in a loop)."""
        if self.deferred:
            return True
        awaited = isinstance(self.module.parent(self.call), cst.Await)
        for ancestor in self.module.ancestors(self.call):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, _COMPREHENSIONS) or (isinstance(ancestor, (cst.For, cst.While)) and not awaited):
                return True
        return False


@dataclass(frozen=True, eq=False)
class ParameterFlow:
    """A value reaches parameter `parameter` of `function` at `site` (through `hops` calls)."""

    function: Definition
    parameter: str
    site: CallSite
    hops: int = 1


class FlowMixin:
    def call_sites(self, function: Definition, fallback_among: Sequence[Definition] = ()) -> list[CallSite]:
        """Every call of `function` in the service: `fn(...)`, `obj.method(...)`, also when wrapped in
        asyncio.create_task/gather/TaskGroup.create_task (still calls), `functools.partial(fn, ...)`,
        `asyncio.to_thread(fn, ...)` and `loop.run_in_executor(executor, fn, ...)`."""
        sites = []
        for reference in self.references_to(function, fallback_among):
            site = self._call_site(reference)
            if site is not None:
                sites.append(site)
        return sites

    def arguments_for(self, parsed: ParsedModule, param: cst.Param) -> list[tuple[ParsedModule, cst.BaseExpression]]:
        """What the service passes for a parameter: its default, then the argument mapped onto it at every
        call site (for `__init__`, at every construction of the class)."""
        values = [(parsed, param.default)] if param.default is not None else []
        function = function_of_param(parsed, param)
        if function is None:
            return values
        definition = self.definition_for(parsed, function)
        # an __init__ is called by constructing its class (call_sites maps those onto __init__)
        is_init = function.name.value == "__init__" and definition.owner is not None
        sites = self.call_sites(definition.owner if is_init else definition)
        for site in sites:
            argument = site.arguments.get(param.name.value)
            if argument is not None:
                values.append((site.module, argument))
        return values

    def _call_site(self, reference: Reference) -> CallSite | None:
        parsed, node = reference.module, reference.node
        parent = parsed.parent(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return CallSite(parsed, parent, reference, self._arguments(reference, parent.args))
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            call = parsed.parent(parent)
            if isinstance(call, cst.Call) and self._is_deferred_caller(parsed, call.func):
                positional = [a for a in call.args if a.keyword is None]
                index = next((i for i, a in enumerate(positional) if a is parent), None)
                if index is not None and (index == 0 or _is_executor_call(call.func)):
                    rest = [a for a in call.args if a not in positional[: index + 1]]
                    return CallSite(parsed, call, reference, self._arguments(reference, rest), deferred=True)
        return None

    def _arguments(self, reference: Reference, args: Sequence[cst.Arg]) -> dict[str, cst.BaseExpression]:
        """Arguments mapped to parameters; calling a service class maps them to its `__init__` (after self)."""
        if reference.definition.is_class:
            constructor = self.member(reference.definition, "__init__")
            return _map_arguments(reference, args, constructor) if constructor is not None else {}
        return _map_arguments(reference, args)

    def _is_deferred_caller(self, parsed: ParsedModule, func: cst.BaseExpression) -> bool:
        if self.names_of(parsed, func) & DEFERRED_CALLERS:
            return True
        return isinstance(func, cst.Attribute) and func.attr.value in _DEFERRED_METHODS

    def parameters_receiving(self, parsed: ParsedModule, expression: cst.BaseExpression,
                             transitive: bool = True) -> list[ParameterFlow]:
        """Parameters of service functions (for `Cls(...)`, of its `__init__`) that `expression`'s value is
        passed to, directly or through names and `self.attr` it is bound to, and (transitive) onwards through
        those functions' own calls."""
        flows: list[ParameterFlow] = []
        seen: set[tuple[int, str]] = set()
        pending = [(parsed, expression, 1)]
        while pending:
            module, value, hops = pending.pop(0)
            for carrier_module, carrier in self.carriers(module, value):
                flow = self._argument_flow(carrier_module, carrier, hops)
                if flow is None or (id(flow.function.node), flow.parameter) in seen:
                    continue
                seen.add((id(flow.function.node), flow.parameter))
                flows.append(flow)
                if transitive and hops < _MAX_FLOW_DEPTH:
                    param = _param_named(flow.function.node, flow.parameter)
                    if param is not None:
                        pending.append((flow.function.module, param, hops + 1))
        return flows

    def carriers(self, parsed: ParsedModule, value: cst.CSTNode) -> list[tuple[ParsedModule, cst.CSTNode]]:
        """Expressions that hold the same object as `value`: itself (a Param stands for its uses), the names
        and `self.attr`s it is assigned to or bound by `with ... as`, and every later read of those."""
        found: list[tuple[ParsedModule, cst.CSTNode]] = []
        if not isinstance(value, cst.Param):
            found.append((parsed, value))
        for target in self._bound_targets(parsed, value):
            found.extend((parsed, read) for read in self.reads_of(parsed, target))
        return found

    def reads_of(self, parsed: ParsedModule, target: cst.CSTNode) -> list[cst.CSTNode]:
        """Loads of what `target` (a Name, `self.attr` target, or Param) binds; for `self.attr`, in every
        method of the class."""
        target_name = target.name if isinstance(target, cst.Param) else target
        if isinstance(target_name, cst.Name):
            scope = parsed.scope(target_name)
            if scope is None:
                return []
            reads = []
            for assignment in scope.assignments[target_name.value]:
                if assignment.node is target or assignment.node is target_name:
                    reads.extend(r.node for r in assignment.references if isinstance(r.node, cst.Name))
            return reads
        if isinstance(target, cst.Attribute):
            klass = self.self_class(parsed, target.value)
            if klass is None:
                return []
            return [node for node in parsed.attributes_named(target.attr.value)
                    if node is not target and parsed.is_load(node) and parsed.is_inside(node, klass)
                    and self.self_class(parsed, node.value) is klass]
        return []

    def _bound_targets(self, parsed: ParsedModule, value: cst.CSTNode) -> list[cst.CSTNode]:
        if isinstance(value, cst.Param):
            return [value]
        parent = parsed.parent(value)
        if isinstance(parent, cst.Await):
            value, parent = parent, parsed.parent(parent)
        if isinstance(parent, cst.Assign) and parent.value is value:
            return [t.target for t in parent.targets if isinstance(t.target, (cst.Name, cst.Attribute))]
        if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)) and parent.value is value:
            return [parent.target] if isinstance(parent.target, (cst.Name, cst.Attribute)) else []
        if isinstance(parent, cst.WithItem) and parent.item is value and parent.asname is not None:
            name = parent.asname.name
            return [name] if isinstance(name, (cst.Name, cst.Attribute)) else []
        return []

    def parameter_receiving(self, parsed: ParsedModule, argument: cst.CSTNode) -> ParameterFlow | None:
        """The parameter that `argument`, an argument expression of a call, is bound to: a service function's
        or method's, or for `Cls(...)` its `__init__`'s (also through functools.partial and the like)."""
        return self._argument_flow(parsed, argument, 1)

    def arguments_at_every_call(self, function: Definition, parameter: str) -> list[tuple[ParsedModule, cst.CSTNode]] | None:
        """What every call of `function` passes as `parameter` (for an `__init__`, every construction of its
        class), or None when that is not known for every call: the function is also referenced other than by
        a call (stored, passed, subclassed; annotations aside), a call does not pass the parameter, or it is a
        method and some `x.<name>` with an unknown receiver may call it."""
        constructor = function.short == "__init__" and function.owner is not None
        target = function.owner if constructor else function
        if function.owner is not None and not constructor and self.may_be_called_unseen(function):
            return None
        references = [r for r in self.references_to(target) if not _in_annotation(r.module, r.node)]
        sites = self.call_sites(target)
        if len(sites) != len(references):
            return None
        arguments = []
        for site in sites:
            if parameter not in site.arguments:
                return None
            arguments.append((site.module, site.arguments[parameter]))
        return arguments

    def _argument_flow(self, parsed: ParsedModule, carrier: cst.CSTNode, hops: int) -> ParameterFlow | None:
        arg = parsed.parent(carrier)
        if not isinstance(arg, cst.Arg) or arg.value is not carrier or arg.star:
            return None
        call = parsed.parent(arg)
        if not isinstance(call, cst.Call):
            return None
        callee = self.definition_of(parsed, call.func)
        deferred = False
        if callee is not None and callee.is_class:  # Cls(...): the value goes to a parameter of its __init__
            constructor = self.member(callee, "__init__")
            if constructor is None:
                return None
            reference = self.reference(parsed, call.func, callee)
            arguments = _map_arguments(reference, call.args, constructor)
            callee = constructor
        elif callee is not None and callee.is_function:
            reference = self.reference(parsed, call.func, callee)
            arguments = _map_arguments(reference, call.args)
        elif self._is_deferred_caller(parsed, call.func):
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if not positional or arg is positional[0]:
                return None
            index = 1 if _is_executor_call(call.func) and len(positional) > 1 else 0
            callee = self.definition_of(parsed, positional[index].value)
            if callee is None or not callee.is_function:
                return None
            reference = self.reference(parsed, positional[index].value, callee)
            arguments = _map_arguments(reference, [a for a in call.args if a not in positional[: index + 1]])
            deferred = True
        else:
            return None
        for parameter, expression in arguments.items():
            if expression is carrier:
                return ParameterFlow(callee, parameter, CallSite(parsed, call, reference, arguments, deferred), hops)
        return None


def _in_annotation(parsed: ParsedModule, node: cst.CSTNode) -> bool:
    return any(isinstance(ancestor, cst.Annotation) for ancestor in parsed.ancestors(node))


def _is_executor_call(func: cst.BaseExpression) -> bool:
    return isinstance(func, cst.Attribute) and func.attr.value == "run_in_executor"


def _param_named(function: cst.CSTNode, name: str) -> cst.Param | None:
    if not isinstance(function, cst.FunctionDef):
        return None
    params = function.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name:
            return param
    return None


def function_of_param(parsed: ParsedModule, param: cst.Param) -> cst.FunctionDef | None:
    """The def whose parameter this is (None for a lambda's)."""
    holder = parsed.parent(parsed.parent(param))
    return holder if isinstance(holder, cst.FunctionDef) else None


def _map_arguments(reference: Reference, args: Sequence[cst.Arg],
                   constructor: Definition | None = None) -> dict[str, cst.BaseExpression]:
    """Arguments -> parameters of the callee, or of `constructor` (a class's __init__, self skipped)."""
    if constructor is not None:
        return _map_onto(constructor.node, args, skip_first=True)
    return _map_onto(reference.definition.node, args,
                     skip_first=reference.via_instance or _is_classmethod_call(reference))


def _map_onto(function: cst.CSTNode, args: Sequence[cst.Arg], skip_first: bool) -> dict[str, cst.BaseExpression]:
    if not isinstance(function, cst.FunctionDef):
        return {}
    params = function.params
    positional = [*params.posonly_params, *params.params]
    if skip_first:
        positional = positional[1:]
    by_name = {p.name.value for p in [*params.params, *params.kwonly_params]}
    mapped: dict[str, cst.BaseExpression] = {}
    index = 0
    for arg in args:
        if arg.star:
            if arg.star == "*":
                index = len(positional)  # positions after a *args are unknown
            continue
        if arg.keyword is None:
            if index < len(positional):
                mapped[positional[index].name.value] = arg.value
            index += 1
        elif arg.keyword.value in by_name:
            mapped[arg.keyword.value] = arg.value
    return mapped


def _is_classmethod_call(reference: Reference) -> bool:
    function = reference.definition.node
    return (isinstance(reference.node, cst.Attribute) and isinstance(function, cst.FunctionDef)
            and any(isinstance(d.decorator, cst.Name) and d.decorator.value == "classmethod"
                    for d in function.decorators))
