"""Reads and deletes of one module (a fact per file): every Flux query made through query_api() with the
SQL suggested for it, and the buckets queries and deletes touch (database= on the client needs them)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule

from . import v2_api
from .module_facts import ModuleFacts, argument, method_call
from .query_items import advise
from .service_index import ServiceIndex
from .values import flux_text, text_origins

_READS = (v2_api.QUERY_API, v2_api.DELETE_API)
_FLUX_BUCKET = re.compile(r'from\s*\(\s*bucket\s*:\s*"([^"]*)"\s*\)')


@dataclass(frozen=True)
class QuerySite:
    """A query_api() call or a query made through one, for the checklist (rule INF101)."""

    node: cst.CSTNode
    reason: str
    suggestion: str | None = None


@dataclass
class ApiUses:
    """The service's uses of the v2 query and delete APIs."""

    queries: list[QuerySite] = field(default_factory=list)
    # Buckets read or deleted (by normalised code; None = unknown), for the single-bucket rule (INF005).
    buckets: list[str | None] = field(default_factory=list)
    dataframes: bool = False  # query_data_frame*: influxdb3-python[pandas]


def api_uses(index: ServiceIndex, facts: ModuleFacts) -> ApiUses:
    uses = ApiUses()
    for call in facts.calls:
        if (not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _READS
                or not facts.may_be_influx(call.func.value)):  # the method first: may_be_influx prints the receiver
            continue
        method = call.func.attr.value
        if method == v2_api.QUERY_API:
            _query_api(index, facts, call, uses)
        elif method == v2_api.DELETE_API:
            deletion = method_call(facts.parsed, call, {"delete"})
            bucket = argument(deletion[1], "bucket", 3) if deletion else None
            uses.buckets.append(bucket_key(facts.parsed, bucket) if bucket is not None else None)
    return uses


def bucket_key(parsed: ParsedModule, expression: cst.BaseExpression) -> str:
    """A bucket expression, normalised: a literal's value, else the expression's source."""
    if isinstance(expression, (cst.SimpleString, cst.ConcatenatedString)):
        return repr(expression.evaluated_value)
    return parsed.tree.code_for_node(expression)


def _query_api(index: ServiceIndex, facts: ModuleFacts, call: cst.Call, uses: ApiUses) -> None:
    parsed = facts.parsed
    client_code = facts.code(call.func.value)
    chained = method_call(parsed, call, v2_api.QUERY_METHODS)
    consumers = [chained] if chained is not None else []
    if chained is None:
        holder = parsed.parent(call)
        target = holder.targets[0].target if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else None
        for node in _reads(index, parsed, target):
            found = method_call(parsed, node, v2_api.QUERY_METHODS)
            if found is not None:
                consumers.append(found)
        if target is not None:
            uses.queries.append(QuerySite(
                call, "InfluxDBClient3 has no query_api(): on the migrated client this line raises AttributeError as "
                      "soon as it runs (even before any query); drop it once the queries using it are rewritten as "
                      f"{client_code}.query(...)."))
    if not consumers:
        uses.buckets.append(None)
        uses.queries.append(QuerySite(call, advise("query", client_code, None, None).reason))
        return
    for method, query_call in consumers:
        if method in v2_api.DATAFRAME_QUERY_METHODS:
            uses.dataframes = True
        flux_arg = argument(query_call, "query", 0)
        flux = flux_text(flux_arg, index, parsed) if flux_arg is not None else None
        uses.buckets.append(flux_bucket_key(flux))
        holder = parsed.parent(query_call)
        target_code = None
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target_code = facts.code(holder.targets[0].target) + " ="
        elif isinstance(holder, cst.Return):
            target_code = "return"
        advice = advise(method, client_code, target_code, flux)
        reason = advice.reason
        origins = text_origins(flux_arg, index, parsed) if flux_arg is not None else []
        if origins:
            reason = f"The Flux text is at {', '.join(origins)}. {reason}"
        uses.queries.append(QuerySite(query_call, reason, advice.suggestion))


def _reads(index: ServiceIndex, parsed: ParsedModule, target: cst.CSTNode | None) -> list[cst.CSTNode]:
    """The reads of a query API bound to a name (that very binding) or to `self.attr` (any method)."""
    if not isinstance(target, cst.Name) and not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return []
    return sorted(index.analysis.reads_of(parsed, target), key=parsed.source_order)


def flux_bucket_key(flux: tuple[str, list[str]] | None) -> str | None:
    """from(bucket: ...) of a Flux text, in the same normalised form as bucket_key."""
    if flux is None:
        return None
    text, expressions = flux
    found = _FLUX_BUCKET.search(text)
    if found is None:
        return None
    bucket = found.group(1)
    placeholder = re.fullmatch(r"__p(\d+)__", bucket)
    return expressions[int(placeholder.group(1))] if placeholder else repr(bucket)
