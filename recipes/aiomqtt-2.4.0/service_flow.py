"""Which client each message consumer reads, followed through parameters and calls across the service.

aiomqtt 2 has one queue per client, so what decides a consumer's rewrite is how many consumers read
the same client object. A consumer whose receiver is a parameter (`async def temps(self, client)`) is
traced to every call of its function in the service (bot.analysis call sites: direct calls, calls
wrapped in create_task/gather/TaskGroup, functools.partial, ...), and from the argument passed there
to the client it names, recursively.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis, is_test_path

from .clients import ClientBinding, ClientIndex
from .source import Source

MAX_DEPTH = 6
# A call that can start any number of consumers (in a comprehension, un-awaited in a loop, a partial).
MANY = 2


@dataclass
class AnalysedFile:
    path: str
    source: Source
    index: ClientIndex


@dataclass
class ClientFlow:
    """The clients an expression may hold, each with how many consumers reach it through this path."""

    origins: Counter = field(default_factory=Counter)  # ClientBinding -> consumer count
    unknown: list[str] = field(default_factory=list)  # why some path could not be traced
    via: list[str] = field(default_factory=list)  # the calls followed, for the manual item's reason

    def add(self, other: ClientFlow, times: int) -> None:
        for origin, count in other.origins.items():
            self.origins[origin] += count * times
        self.unknown.extend(other.unknown)
        self.via.extend(other.via)


def analyse(parsed: ParsedModule, analysis: ServiceAnalysis) -> AnalysedFile:
    source = Source(parsed, analysis)
    index = ClientIndex(source)
    source.module.visit(index)
    return AnalysedFile(parsed.path, source, index)


class ServiceFlow:
    def __init__(self, analysis: ServiceAnalysis, analysed: dict[str, AnalysedFile]) -> None:
        self._analysis = analysis
        self._analysed = analysed  # files read only to follow calls through them are added on demand

    def where(self, origin: ClientBinding) -> str:
        """"created at path:line", or how the client is held when it is created in several places."""
        analysed = self.file_of(origin.construction) if origin.construction is not None else None
        if analysed is not None:
            return f"created at {analysed.path}:{analysed.source.line(origin.construction)}"
        return "held by one object attribute (created in several places)"

    def file_of(self, node: cst.CSTNode) -> AnalysedFile | None:
        """The file of the service that holds this node."""
        return next((analysed for analysed in self._analysed.values() if node in analysed.source.positions), None)

    def clients_of(self, analysed: AnalysedFile, expression: cst.BaseExpression, depth: int = 0) -> ClientFlow:
        flow = ClientFlow()
        binding = analysed.index.resolve(expression)
        if binding is not None and binding.parameter is None:
            count, starts = self._launches(analysed, expression, binding)
            flow.origins[binding] += count
            flow.via.extend(starts)
            return flow
        parameter = binding.parameter if binding is not None else (
            analysed.index.parameter_of(expression) or analysed.index.injected_parameter(expression))
        function = analysed.source.enclosing_function(parameter) if parameter is not None else None
        if not isinstance(function, cst.FunctionDef):
            flow.unknown.append(f"`{analysed.source.code(expression)}` is not provably an asyncio-mqtt Client")
            return flow
        if depth > MAX_DEPTH:
            flow.unknown.append(f"the client passes through too many calls to follow ({function.name.value}())")
            return flow
        if isinstance(expression, cst.Attribute):
            # A client injected into objects (`self.client = client` in __init__): each object built with it
            # reads it, and so does each start of this method; starts may be on the same or on other objects.
            count, starts = self._launches(analysed, expression, binding or ClientBinding(construction=None))
            flow = self._from_callers(analysed, expression, parameter, function, depth)
            for origin, objects in flow.origins.items():
                flow.origins[origin] = max(objects, count)
            flow.via.extend(starts)
            return flow
        return self._from_callers(analysed, expression, parameter, function, depth)

    def _from_callers(self, analysed: AnalysedFile, expression: cst.BaseExpression, parameter: cst.Param,
                      function: cst.FunctionDef, depth: int) -> ClientFlow:
        """The clients the callers of `function` pass to `parameter` (for `__init__`: the class's callers)."""
        flow = ClientFlow()
        name, sites, others = self._calls(analysed, function)
        for where in others:
            flow.unknown.append(f"{name}() is also used without being called at {where}, so its callers are unknown")
        if not sites and not others:
            held = "is given to" if function.name.value == "__init__" else "is a parameter of"
            flow.unknown.append(f"`{analysed.source.code(expression)}` {held} {name}(), which nothing in "
                                "the service calls, so the client it receives is unknown")
        faked: list[str] = []
        for site in sites:
            where = f"{site.module.path}:{site.line}"
            caller = self._file(site.module)
            argument = site.arguments.get(parameter.name.value)
            if argument is None:
                flow.unknown.append(f"the call of {name}() at {where} passes the client in a way the codemod "
                                    "cannot follow")
                continue
            upstream = self.clients_of(caller, argument, depth + 1)
            if not upstream.origins and is_test_path(site.module.path):
                faked.append(where)
                continue  # a test handing a fake client to the function does not add a consumer
            times = MANY if site.repeated else 1
            flow.via.append(f"{name}() called at {where}" + (" (repeatedly)" if times > 1 else ""))
            flow.add(upstream, times)
        if faked and not flow.origins and not flow.unknown:
            flow.unknown.append(f"{name}() is called only by tests with test doubles ({', '.join(faked)}), so the "
                                "client it receives in production is unknown")
        return flow

    def _launches(self, analysed: AnalysedFile, expression: cst.BaseExpression,
                  binding: ClientBinding) -> tuple[int, list[str]]:
        """How many consumers one site is, for a client shared beyond its function (`self.client`), and
        the calls that start them.

        A client created in the consumer's own function is a new client per run; one held by the
        object is read by every concurrent run of the method.
        """
        function = analysed.source.enclosing_function(expression)
        if not isinstance(function, cst.FunctionDef) or not analysed.index.attribute_bindings(expression):
            return 1, []
        if binding.construction is not None and analysed.source.is_inside(binding.construction, function):
            return 1, []
        _, sites, _ = self._calls(analysed, function)
        production = [s for s in sites if not is_test_path(s.module.path)]
        counts = [MANY if s.repeated else 1 for s in production]
        if sum(counts) <= 1:
            return 1, []
        starts = [f"{function.name.value}() started at {s.module.path}:{s.line}" + (" (repeatedly)" if n > 1 else "")
                  for s, n in zip(production, counts)]
        return sum(counts), starts

    def _calls(self, analysed: AnalysedFile, function: cst.FunctionDef) -> tuple[str, list, list[str]]:
        """The name callers use, the call sites of `function` (of its class, for `__init__`: objects are
        built by calling the class), and where it is used other than called (its callers are then unknown)."""
        parsed = self._analysis.module(analysed.path)
        definition = self._analysis.definition_for(parsed, function)
        if definition.short == "__init__" and definition.owner is not None:
            definition = definition.owner
        sites = self._analysis.call_sites(definition)
        called = {id(site.reference.node) for site in sites}
        others = [f"{r.module.path}:{r.line}" for r in self._analysis.references_to(definition)
                  if id(r.node) not in called and not (definition.is_class and _names_the_type(r))]
        return definition.short, sites, others

    def _file(self, parsed: ParsedModule) -> AnalysedFile:
        if parsed.path not in self._analysed:
            self._analysed[parsed.path] = analyse(parsed, self._analysis)
        return self._analysed[parsed.path]


def _names_the_type(reference) -> bool:
    """A class named in an annotation or an isinstance()/issubclass() check: no object is built there."""
    for ancestor in reference.module.ancestors(reference.node):
        if isinstance(ancestor, cst.Annotation):
            return True
        if isinstance(ancestor, cst.Call):
            return isinstance(ancestor.func, cst.Name) and ancestor.func.value in ("isinstance", "issubclass")
        if isinstance(ancestor, cst.BaseStatement):
            return False
    return False
