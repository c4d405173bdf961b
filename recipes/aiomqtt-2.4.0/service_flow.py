"""Which client each message consumer reads, followed through parameters and calls across the service.

aiomqtt 2 has one queue per client, so what decides a consumer's rewrite is how many consumers read
the same client object. A consumer whose receiver is a parameter (`async def temps(self, client)`) is
traced to every call of its function in the service (`create_task(self.temps(client))`, `gather(...)`,
a TaskGroup), and from the argument passed there to the client it names, recursively. Calls are
matched by name with a collision check (several functions of that name: same file or same class
first, else every candidate, which can only add consumers, never hide one).

Recipe-local until bot/analysis offers parameter flow; files are parsed lazily (only those naming a
function whose callers are needed).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import libcst as cst
from libcst.metadata import QualifiedNameSource

from .clients import ClientBinding, ClientIndex
from .source import FUNCTION_TYPES, Source

MAX_DEPTH = 6
# A call that can start any number of consumers (in a comprehension, or not awaited in a loop).
MANY = 2
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
LOOPS = (cst.For, cst.While)
TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


@dataclass
class AnalysedFile:
    path: str
    source: Source
    index: ClientIndex
    service_packages: frozenset[str] = frozenset()
    _names: dict[str, list[cst.Name]] | None = None

    def names(self, value: str) -> list[cst.Name]:
        if self._names is None:
            self._names = {}
            for node in self.source.positions:
                if isinstance(node, cst.Name):
                    self._names.setdefault(node.value, []).append(node)
        return self._names.get(value, [])

    def definitions(self, name: str) -> list[cst.FunctionDef]:
        return [n for n in map(self.source.parents.get, self.names(name)) if isinstance(n, cst.FunctionDef)
                and n.name.value == name]


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


@dataclass(frozen=True)
class CallSite:
    file: AnalysedFile
    call: cst.Call


class ServiceFlow:
    def __init__(self, texts: dict[str, str], analysed: dict[str, AnalysedFile],
                 analyse: Callable[[str, str], AnalysedFile | None]) -> None:
        self._texts = texts
        self._analysed = analysed
        self._analyse = analyse

    def where(self, origin: ClientBinding) -> str:
        for analysed in self._analysed.values():
            if origin.construction is not None and origin.construction in analysed.source.positions:
                return f"{analysed.path}:{analysed.source.line(origin.construction)}"
        return "in its class"

    def file_of(self, node: cst.CSTNode) -> AnalysedFile | None:
        return next((a for a in self._analysed.values() if node in a.source.positions), None)

    def clients_of(self, analysed: AnalysedFile, expression: cst.BaseExpression, depth: int = 0) -> ClientFlow:
        flow = ClientFlow()
        binding = analysed.index.resolve(expression)
        if binding is not None and binding.parameter is None:
            flow.origins[binding] += self._launches(analysed, expression, binding)
            return flow
        parameter = binding.parameter if binding is not None else analysed.index.parameter_of(expression)
        function = analysed.source.enclosing_function(parameter) if parameter is not None else None
        if not isinstance(function, cst.FunctionDef):
            flow.unknown.append(f"`{analysed.source.code(expression)}` is not provably an asyncio-mqtt Client")
            return flow
        if depth > MAX_DEPTH:
            flow.unknown.append(f"the client passes through too many calls to follow ({function.name.value}())")
            return flow
        callers, others = self._callers(analysed, function)
        name = function.name.value
        for site in others:
            flow.unknown.append(f"{name}() is also used without being called at {site}, so its callers are unknown")
        if not callers and not others:
            flow.unknown.append(f"`{analysed.source.code(expression)}` is a parameter of {name}(), which nothing in "
                                "the service calls, so the client it receives is unknown")
        for caller in callers:
            where = f"{caller.file.path}:{caller.file.source.line(caller.call)}"
            argument = _argument_for(caller.call, function, parameter)  # type: ignore[arg-type]
            if argument is None:
                flow.unknown.append(f"the call of {name}() at {where} passes the client in a way the codemod "
                                    "cannot follow")
                continue
            upstream = self.clients_of(caller.file, argument, depth + 1)
            if not upstream.origins and TEST_FILE.search(caller.file.path):
                continue  # a test handing a fake client to the function does not add a consumer
            flow.via.append(f"{name}() at {where}")
            flow.add(upstream, _multiplicity(caller.file.source, caller.call))
        return flow

    def _launches(self, analysed: AnalysedFile, expression: cst.BaseExpression, binding: ClientBinding) -> int:
        """How many consumers one site is, for a client shared beyond its function (`self.client`).

        A client created in the consumer's own function is a new client per run; one held by the
        object is read by every concurrent run of the method.
        """
        function = analysed.source.enclosing_function(expression)
        if not isinstance(function, cst.FunctionDef):
            return 1
        if binding.construction is not None and analysed.source.is_inside(binding.construction, function):
            return 1
        if not analysed.index.attribute_bindings(expression):
            return 1
        callers, _ = self._callers(analysed, function)
        production = [c for c in callers if not TEST_FILE.search(c.file.path)]
        return max(1, sum(_multiplicity(c.file.source, c.call) for c in production))

    def _callers(self, analysed: AnalysedFile, function: cst.FunctionDef) -> tuple[list[CallSite], list[str]]:
        """The calls that may run `function`, and where its name is used other than in a call."""
        name = function.name.value
        candidates = self._load_files_naming(name)
        definitions = [(a, d) for a in candidates for d in a.definitions(name)]
        calls, others = [], []
        for file in candidates:
            for use in file.names(name):
                parent = file.source.parents.get(use)
                if isinstance(parent, (cst.FunctionDef, cst.ImportAlias, cst.AsName, cst.ImportFrom, cst.Param)):
                    continue
                call = _call_of(file.source, use)
                if call is not None and _is_external(file, call):
                    continue
                if call is None:
                    if not _is_binding_target(file.source, use):
                        others.append(f"{file.path}:{file.source.line(use)}")
                elif _targets(file, call, function, definitions):
                    calls.append(CallSite(file, call))
        return calls, others

    def _load_files_naming(self, name: str) -> list[AnalysedFile]:
        word = re.compile(rf"\b{re.escape(name)}\b")
        for path, text in sorted(self._texts.items()):
            if path not in self._analysed and word.search(text):
                loaded = self._analyse(path, text)
                if loaded is not None:
                    self._analysed[path] = loaded
        return [a for path, a in sorted(self._analysed.items()) if word.search(self._texts.get(path, ""))]


def _is_external(file: AnalysedFile, call: cst.Call) -> bool:
    """`asyncio.run(...)`, `loop.create_task` of an imported module: never a function of the service."""
    scope = file.source.scopes.get(call.func)
    qualified = scope.get_qualified_names_for(call.func) if scope is not None else set()
    return bool(qualified) and all(
        q.source is QualifiedNameSource.BUILTIN
        or (q.source is QualifiedNameSource.IMPORT and not q.name.startswith(".")
            and q.name.split(".")[0] not in file.service_packages)
        for q in qualified
    )


def _is_binding_target(source: Source, use: cst.Name) -> bool:
    """`x.name = ...` or `name = ...`: a different thing that happens to share the function's name."""
    node: cst.CSTNode = use
    parent = source.parents.get(node)
    if isinstance(parent, cst.Attribute) and parent.attr is use:
        node, parent = parent, source.parents.get(parent)
    return isinstance(parent, (cst.AssignTarget, cst.AnnAssign)) and getattr(parent, "target", None) is node


def _call_of(source: Source, use: cst.Name) -> cst.Call | None:
    parent = source.parents.get(use)
    if isinstance(parent, cst.Call) and parent.func is use:
        return parent
    if isinstance(parent, cst.Attribute) and parent.attr is use:
        grandparent = source.parents.get(parent)
        if isinstance(grandparent, cst.Call) and grandparent.func is parent:
            return grandparent
    return None


def _is_method(function: cst.FunctionDef) -> bool:
    decorators = {getattr(d.decorator, "value", None) for d in function.decorators}
    params = function.params.posonly_params or function.params.params
    return bool(params) and params[0].name.value in ("self", "cls") and "staticmethod" not in decorators


def _targets(file: AnalysedFile, call: cst.Call, function: cst.FunctionDef,
             definitions: list[tuple[AnalysedFile, cst.FunctionDef]]) -> bool:
    """Whether this call may run `function` (name match, narrowed when the name is defined more than once)."""
    by_attribute = isinstance(call.func, cst.Attribute)
    if _is_method(function) and not by_attribute:
        return False
    if len(definitions) == 1:
        return True
    if by_attribute and isinstance(call.func.value, cst.Name) and call.func.value.value in ("self", "cls"):  # type: ignore[union-attr]
        owner = file.source.enclosing_class(call)
        same_class = [d for f, d in definitions if f is file and owner is not None and file.source.is_inside(d, owner)]
        if same_class:
            return function in same_class
    if not by_attribute:
        same_file = [d for f, d in definitions if f is file]
        if same_file:
            return function in same_file
    return True


def _argument_for(call: cst.Call, function: cst.FunctionDef, parameter: cst.Param) -> cst.BaseExpression | None:
    positional = [*function.params.posonly_params, *function.params.params]
    if isinstance(call.func, cst.Attribute) and _is_method(function):
        positional = positional[1:]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == parameter.name.value:
            return arg.value
    if parameter not in positional:
        return None
    index = positional.index(parameter)
    args = []
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            args.append(arg.value)
    return args[index] if index < len(args) else None


def _multiplicity(source: Source, call: cst.Call) -> int:
    """1 when the call starts one consumer at a time; MANY in a comprehension or un-awaited in a loop."""
    awaited = isinstance(source.parents.get(call), cst.Await)
    for ancestor in source.ancestors(call):
        if isinstance(ancestor, FUNCTION_TYPES):
            return 1
        if isinstance(ancestor, COMPREHENSIONS) and not awaited:
            return MANY
        if isinstance(ancestor, LOOPS) and not awaited:
            return MANY
    return 1
