"""No half migration: the clients that stay on influxdb-client (a fact of the service, rule INF112).

A client is built (`InfluxDBClient(...)`, `InfluxDBClient.from_env_properties()`) and then used where it was
built: in the same function (a constructor storing it on self, a `with` block) or at module level. When one
of those uses has no InfluxDBClient3 counterpart (query_api(), delete_api(), the management APIs, ping(),
its public fields, a write_api() the codemod leaves as it is), the migrated client would fail right there,
before any of its migrated uses could run: the class could not even be constructed for writing, the module
could not be imported. So that client is not migrated: its construction stays on influxdb-client, both
packages stay declared, and the blocking uses are listed. A kept client that also writes keeps every Point
of the service on v2 (a v2 write API silently drops a v3 Point): then nothing in the service moves.

Uses elsewhere (another method, another function) fail only themselves once migrated; they are listed by
their own rules and the client moves.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule

from . import v2_api
from .module_facts import ModuleFacts, method_call

_MISSING_METHODS = frozenset({v2_api.QUERY_API, v2_api.DELETE_API, *v2_api.MANAGEMENT_APIS, *v2_api.HEALTH_METHODS})


@dataclass(frozen=True)
class BlockingUse:
    """A use of a v2 client that keeps it on influxdb-client."""

    node: cst.CSTNode
    what: str  # "client.query_api()", "client.url", "client.write_api(...) (left as it is)"


@dataclass
class KeptClient:
    """A client construction the migration leaves on influxdb-client, and why."""

    parsed: ParsedModule
    construction: cst.Call  # InfluxDBClient(...) or InfluxDBClient.from_env_properties()
    uses: list[BlockingUse] = field(default_factory=list)
    writes: bool = False  # it has a write API: Points must then stay v2, everywhere

    @property
    def class_reference(self) -> cst.CSTNode:
        """`InfluxDBClient` (or `influxdb_client.InfluxDBClient`) as this construction names it."""
        func = self.construction.func
        return func.value if isinstance(func, cst.Attribute) and func.attr.value == v2_api.ENV_FACTORY else func


def kept_clients(service, parsed: ParsedModule) -> list[KeptClient]:
    """The clients of one module that stay on influxdb-client (service: service_facts.InfluxService)."""
    facts = service.facts(parsed)
    writes = service.flow.modules.get(parsed.path)
    left_as_they_are = writes.unmoved if writes is not None else set()
    kept = []
    for construction in [*facts.constructors, *facts.factory_calls(v2_api.ENV_FACTORY)]:
        client = KeptClient(parsed, construction)
        where = parsed.enclosing_function(construction)
        for _, read in service.analysis.carriers(parsed, construction):
            use = _use_of(facts, read, left_as_they_are)
            if use is not None and parsed.enclosing_function(read) is where:
                client.uses.append(use)
            client.writes = client.writes or method_call(parsed, read, {v2_api.WRITE_API}) is not None
        if client.uses:
            client.uses.sort(key=lambda use: parsed.source_order(use.node))
            kept.append(client)
    return kept


def _use_of(facts: ModuleFacts, read: cst.CSTNode, left_as_they_are: set[cst.Call]) -> BlockingUse | None:
    """What `read` (an expression holding the client) does that InfluxDBClient3 cannot, if anything."""
    parsed = facts.parsed
    code = facts.code(read)
    called = method_call(parsed, read, _MISSING_METHODS)
    if called is not None:
        return BlockingUse(called[1], f"{code}.{called[0]}()")
    written = method_call(parsed, read, {v2_api.WRITE_API})
    if written is not None:
        return BlockingUse(written[1], f"{code}.write_api(...)") if written[1] in left_as_they_are else None
    attribute = parsed.parent(read)
    if (isinstance(attribute, cst.Attribute) and attribute.value is read and attribute.attr.value in v2_api.CLIENT_FIELDS
            and parsed.is_load(attribute)):
        return BlockingUse(attribute, f"{code}.{attribute.attr.value}")
    return None
