"""INF005: database= on the client, when everything the module writes, reads or deletes uses one bucket."""
from __future__ import annotations

import libcst as cst

from bot.analysis import ParsedModule, assigned_value
from bot.change.edit_plan import append_argument, keyword_argument
from bot.change.rule import REWRITE, Invalid, Valid

from .api_uses import bucket_key
from .module_facts import chain_base, same_binding
from .service_facts import InfluxRule, InfluxService


def database_arguments(service: InfluxService, parsed: ParsedModule) -> dict[cst.Call, cst.BaseExpression]:
    """Client constructions of the module -> the database= they get: the one bucket every rewritten write of
    the module names (as an expression valid at the construction), when its queries and deletes use it too."""
    facts = service.facts(parsed)
    writes = service.flow.modules.get(parsed.path)
    # A write API left for a human may write elsewhere: then "one bucket" is not known.
    if writes is None or not writes.write_sites or not facts.constructors or writes.unrewritten:
        return {}
    found = {}
    written = {bucket_key(parsed, site.bucket) for site in writes.write_sites}
    kept = service.kept_constructions(parsed)
    for constructor in facts.constructors:
        if constructor in kept or any(arg.keyword is not None and arg.keyword.value == "database" for arg in constructor.args):
            continue
        expressions = {}
        for site in writes.write_sites:
            expression = _expression_at(service, parsed, site.bucket, constructor)
            if expression is None:
                expressions = None
                break
            expressions[parsed.tree.code_for_node(expression)] = expression
        if not expressions or len(expressions) != 1:
            continue
        if any(bucket is None or bucket not in written for bucket in service.api_uses(parsed).buckets):
            continue  # queries or deletes use another (or an unknown) bucket
        (found[constructor],) = expressions.values()
    return found


def _expression_at(service: InfluxService, parsed: ParsedModule, expression: cst.BaseExpression,
                   constructor: cst.Call) -> cst.BaseExpression | None:
    """`expression` (seen at a write) rewritten to mean the same at `constructor`, or None."""
    if isinstance(expression, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
        return expression
    base = chain_base(expression)
    if base is None:
        return None
    klass = service.analysis.self_class(parsed, base)
    if klass is not None:
        return _self_chain_at(service, parsed, expression, klass, constructor)
    if same_binding(parsed, base.value, base, constructor):
        return expression
    return None


def _self_chain_at(service: InfluxService, parsed: ParsedModule, expression: cst.BaseExpression,
                   klass: cst.ClassDef, constructor: cst.Call) -> cst.BaseExpression | None:
    """self.a.b at a write -> value-of(self.a).b, valid in the constructor's method."""
    path = []
    node = expression
    while isinstance(node, cst.Attribute):
        path.append(node.attr.value)
        node = node.value
    path.reverse()  # [a, b] of self.a.b
    if not path:
        return None
    stores = [b.target for b in service.analysis.attribute_bindings(parsed, klass, path[0]) if b.kind != "class-attr"]
    if len(stores) != 1 or parsed.enclosing_function(stores[0]) is not parsed.enclosing_function(constructor):
        return None
    value = assigned_value(parsed, stores[0])
    if value is None:
        return None
    resolved = _expression_at(service, parsed, value, constructor)
    if resolved is None:
        return None
    for attr in path[1:]:
        resolved = cst.Attribute(value=resolved, attr=cst.Name(attr))
    return resolved


class Database(InfluxRule):
    ID = "INF005"
    KIND = REWRITE
    MESSAGE = "database= added to the client when the module writes to a single bucket"
    APPLIED = "database= added to the client (the module writes to one bucket)"
    AFTER = {"INF004": "appends database= to the constructor's arguments after INF004 has split timeout= in two"}
    EXAMPLES_WITH = ("INF006",)
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        def record(point):
            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
            client.write_api().write(bucket="metrics", record=point)
        """, name="a write left for a human (INF104) may write to any bucket")]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def record(point):
            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
            client.write_api(write_options=SYNCHRONOUS).write(bucket="metrics", record=point)
        """, after="""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def record(point):
            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o", database="metrics")
            client.write(record=point, database="metrics")
        """)]

    def begin_file(self) -> None:
        usable = not self.blocked and self.enabled("INF006")  # the writes INF006 rewrites name the bucket
        self.databases = self.fact(database_arguments, self.service, self.parsed) if usable else {}

    def visit_Call(self, node: cst.Call) -> None:
        expression = self.databases.get(node)
        if expression is not None:
            self.replace(node, lambda updated: append_argument(updated, keyword_argument("database",
                                                                                         expression.deep_clone())))
