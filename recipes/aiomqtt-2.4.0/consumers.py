"""Message consumers, counted per client over the whole service.

0.16 let every `async with client.messages()/filtered_messages(F)/unfiltered_messages() as stream` own a
queue; aiomqtt 2 has one client-wide queue. So what decides a consumer's rewrite is how many consumers read
the same client object. A consumer whose receiver is a parameter (`async def temps(self, client)`) is traced
to every call of its function in the service (bot.analysis call sites: direct calls, calls wrapped in
create_task/gather/TaskGroup, functools.partial, ...), and from the argument passed there to the client it
names, recursively. A site is rewritten only when every client it may read has exactly one consumer;
several consumers of one client are listed (aiomqtt 2 would split its messages between them), and a site
whose client cannot be traced is listed with the reason the trace stopped.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis, is_test_path
from bot.analysis.doubles.patches import DELATTR, PATCH_OBJECT, SETATTR, MockNames
from bot.analysis.flow import function_of_param

from .clients import ClientOrigin, Clients
from .mqtt_names import CONSUMER_METHODS

MAX_DEPTH = 6
# A call that can start any number of consumers (in a comprehension, un-awaited in a loop, a partial).
MANY = 2
SEVERAL, UNKNOWN_SEVERAL, UNKNOWN = "several", "maybe-several", "unknown"


@dataclass(frozen=True, eq=False)
class ConsumerSite:
    """`async with <receiver>.<kind>(...) as stream` in `module`."""

    module: ParsedModule
    statement: cst.With
    item: cst.WithItem
    call: cst.Call
    kind: str  # messages | unfiltered_messages | filtered_messages
    receiver: cst.BaseExpression

    @property
    def place(self) -> str:
        return f"{self.module.path}:{self.module.line(self.statement)}"


@dataclass(frozen=True)
class Verdict:
    """What the service-wide count says about one consumer site."""

    status: str | None = None  # None: its client's only consumer; SEVERAL, UNKNOWN_SEVERAL or UNKNOWN otherwise
    reason: str = ""
    construction: cst.Call | None = None  # where the single client is created, when provably one place
    construction_module: ParsedModule | None = None


def consumer_method(call: cst.CSTNode) -> str | None:
    """`messages`/`unfiltered_messages`/`filtered_messages` for `x.<that>(...)`, else None."""
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in CONSUMER_METHODS:
        return call.func.attr.value
    return None


def consumer_sites(parsed: ParsedModule) -> list[ConsumerSite]:
    """Every `async with` item of the file that opens a message stream, in source order."""
    sites = []
    for node in parsed.of_type(cst.With):
        if node.asynchronous:
            for item in node.items:
                kind = consumer_method(item.item)
                if kind is not None:
                    sites.append(ConsumerSite(parsed, node, item, item.item, kind, item.item.func.value))
    return sites


@dataclass
class ClientFlow:
    """The clients an expression may hold, each with how many consumers reach it through this path."""

    origins: Counter = field(default_factory=Counter)  # ClientOrigin -> consumer count
    unknown: list[str] = field(default_factory=list)  # why some path could not be traced
    via: list[str] = field(default_factory=list)  # the calls followed, for the manual item's reason

    def add(self, other: "ClientFlow", times: int) -> None:
        for origin, count in other.origins.items():
            self.origins[origin] += count * times
        self.unknown.extend(other.unknown)
        self.via.extend(other.via)


class ServiceFlow:
    def __init__(self, analysis: ServiceAnalysis, clients: Clients) -> None:
        self.analysis = analysis
        self.clients = clients

    def clients_of(self, parsed: ParsedModule, expression: cst.BaseExpression, depth: int = 0) -> ClientFlow:
        flow = ClientFlow()
        origin = self.clients.origin(parsed, expression)
        if origin is not None and origin.parameter is None:
            count, starts = self._launches(parsed, expression, origin)
            flow.origins[origin] += count
            flow.via.extend(starts)
            return flow
        parameter = origin.parameter if origin is not None else self.analysis.parameter_held(parsed, expression)
        function = function_of_param(parsed, parameter) if parameter is not None else None
        if function is None:
            flow.unknown.append(f"`{parsed.header_code(expression)}` is not provably an asyncio-mqtt Client")
            return flow
        if depth > MAX_DEPTH:
            flow.unknown.append(f"the client passes through too many calls to follow ({function.name.value}())")
            return flow
        if isinstance(expression, cst.Attribute):
            # A client injected into objects (`self.client = client` in __init__): each object built with it
            # reads it, and so does each start of this method; starts may be on the same or on other objects.
            count, starts = self._launches(parsed, expression, origin)
            flow = self._from_callers(parsed, expression, parameter, function, depth)
            for held, objects in flow.origins.items():
                flow.origins[held] = max(objects, count)
            flow.via.extend(starts)
            return flow
        return self._from_callers(parsed, expression, parameter, function, depth)

    def _from_callers(self, parsed: ParsedModule, expression: cst.BaseExpression, parameter: cst.Param,
                      function: cst.FunctionDef, depth: int) -> ClientFlow:
        """The clients the callers of `function` pass to `parameter` (for `__init__`: the class's callers)."""
        flow = ClientFlow()
        name, sites, others = self._calls(parsed, function)
        for where in others:
            flow.unknown.append(f"{name}() is also used without being called at {where}, so its callers are unknown")
        if not sites and not others:
            held = "is given to" if function.name.value == "__init__" else "is a parameter of"
            flow.unknown.append(f"`{parsed.header_code(expression)}` {held} {name}(), which nothing in "
                                "the service calls, so the client it receives is unknown")
        faked: list[str] = []
        for site in sites:
            where = f"{site.module.path}:{site.line}"
            argument = site.arguments.get(parameter.name.value)
            if argument is None:
                flow.unknown.append(f"the call of {name}() at {where} passes the client in a way the codemod "
                                    "cannot follow")
                continue
            upstream = self.clients_of(site.module, argument, depth + 1)
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

    def _launches(self, parsed: ParsedModule, expression: cst.BaseExpression,
                  origin: ClientOrigin | None) -> tuple[int, list[str]]:
        """How many consumers one site is, for a client shared beyond its function (`self.client`), and
        the calls that start them.

        A client created in the consumer's own function is a new client per run; one held by the
        object is read by every concurrent run of the method.
        """
        function = parsed.enclosing_function(expression, lambdas=True)
        if not isinstance(function, cst.FunctionDef) or not self.clients.attribute_bindings(parsed, expression):
            return 1, []
        if origin is not None and origin.construction is not None and parsed.is_inside(origin.construction, function):
            return 1, []
        _, sites, _ = self._calls(parsed, function)
        production = [s for s in sites if not is_test_path(s.module.path)]
        counts = [MANY if s.repeated else 1 for s in production]
        if sum(counts) <= 1:
            return 1, []
        starts = [f"{function.name.value}() started at {s.module.path}:{s.line}" + (" (repeatedly)" if n > 1 else "")
                  for s, n in zip(production, counts)]
        return sum(counts), starts

    def _calls(self, parsed: ParsedModule, function: cst.FunctionDef) -> tuple[str, list, list[str]]:
        """The name callers use, the call sites of `function` (of its class, for `__init__`: objects are
        built by calling the class), and where it is used other than called (its callers are then unknown)."""
        definition = self.analysis.definition_for(parsed, function)
        if definition.short == "__init__" and definition.owner is not None:
            definition = definition.owner
        sites = self.analysis.call_sites(definition)
        called = {id(site.reference.node) for site in sites}
        others = [f"{r.module.path}:{r.line}" for r in self.analysis.references_to(definition)
                  if id(r.node) not in called and not (definition.is_class and _names_the_type(r))
                  and not self._patched_on(r)]
        return definition.short, sites, others


    def _patched_on(self, reference) -> bool:
        """`patch.object(Cls, "run")`, `monkeypatch.setattr(Cls, "run", fake)`: a test replaces an attribute of
        the class or function; nothing is built or called there."""
        parsed, node = reference.module, reference.node
        argument = parsed.parent(node)
        call = parsed.parent(argument) if isinstance(argument, cst.Arg) else None
        if not isinstance(call, cst.Call) or not is_test_path(parsed.path):
            return False
        site = MockNames(self.analysis, parsed).patch_site(call)
        return site is not None and site.owner is node and site.kind in (PATCH_OBJECT, SETATTR, DELATTR)


def judge_consumers(flow: ServiceFlow, sites: list[ConsumerSite]) -> dict[ConsumerSite, Verdict]:
    flows = {site: flow.clients_of(site.module, site.receiver) for site in sites}
    totals: Counter = Counter()
    readers: dict[ClientOrigin, list[str]] = {}
    for site, client_flow in flows.items():
        totals.update(client_flow.origins)
        for origin in client_flow.origins:
            readers.setdefault(origin, []).append(site.place)
    return {site: _verdict(flow, site, flows[site], totals, readers) for site in sites}


def _verdict(flow: ServiceFlow, site: ConsumerSite, client_flow: ClientFlow, totals: Counter,
             readers: dict[ClientOrigin, list[str]]) -> Verdict:
    shared = [origin for origin in client_flow.origins if totals[origin] > 1]
    if shared:
        origin = shared[0]
        through = f"; {', '.join(dict.fromkeys(client_flow.via))}" if client_flow.via else ""
        return Verdict(SEVERAL, reason=(
            f"{totals[origin]} consumers read the client {origin.where()} (at "
            f"{', '.join(readers[origin])}{through}); aiomqtt 2 has one client-wide queue, so each message "
            "would reach only one of them."))
    if client_flow.unknown:
        traced = bool(client_flow.origins) or flow.clients.origin(site.module, site.receiver) is not None
        return Verdict(UNKNOWN_SEVERAL if traced else UNKNOWN, reason="; ".join(dict.fromkeys(client_flow.unknown)) + (
            ". It may have other consumers." if traced else
            ". The codemod cannot tell whether it has other consumers."))
    # where a queue bound moves: the production client's construction, when tests' fixtures feed the consumer too
    production = [o for o in client_flow.origins if not is_test_path(o.module.path)]
    constructions = {origin.construction for origin in production or client_flow.origins}
    single = constructions.pop() if len(constructions) == 1 else None
    held_by = next((o.module for o in client_flow.origins if o.construction is single), None) if single else None
    return Verdict(construction=single, construction_module=held_by)


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
