"""What InfluxDBClient3 does not offer: Flux queries, delete, management, health, the async client."""
from __future__ import annotations

import re

import libcst as cst

from . import rules, v2_api
from .cst_helpers import argument
from .query_items import advise
from .values import flux_text, text_origins

_FLUX_BUCKET = re.compile(r'from\s*\(\s*bucket\s*:\s*"([^"]*)"\s*\)')


class OtherApiRules:
    """Mixin of ModuleAnalysis (state and bookkeeping live there)."""

    # --- everything else the v2 client offered -----------------------------------------------

    def _other_apis(self) -> None:
        for call in self.nodes.calls:
            if not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if not self._may_be_influx(call.func.value):
                continue
            if method == v2_api.QUERY_API:
                self._query_api(call)
            elif method == v2_api.DELETE_API:
                deletion = self.ctx.call_of_method(call, {"delete"})
                bucket = argument(deletion[1], "bucket", 3) if deletion else None
                self.other_buckets.append(self._bucket_key(bucket) if bucket is not None else None)
                self._item(rules.DELETE_API, call,
                           "InfluxDBClient3 has no delete_api() and InfluxDB 3 has no delete-by-predicate: "
                           "rely on the database's retention period, or delete whole tables/databases with "
                           "the server's CLI or HTTP API.")
            elif method in v2_api.MANAGEMENT_APIS:
                self._item(rules.MANAGEMENT_API, call,
                           f"InfluxDBClient3 has no {method}(): databases (buckets) are created on first write "
                           "and managed with the server's CLI/HTTP API; Flux tasks, organizations, users and "
                           "authorizations have no v3 client API.")
            elif method in v2_api.HEALTH_METHODS and self.ctx.code(call.func.value) in self.client_codes:
                self._item(rules.HEALTH_CHECK, call,
                           f"InfluxDBClient3 has no {method}(); get_server_version() is the closest check "
                           "(it raises when the server is unreachable).",
                           f"{self.ctx.code(call.func.value)}.get_server_version()")
        for attribute in self.nodes.attributes:
            if (attribute.attr.value in v2_api.CLIENT_FIELDS and self.ctx.code(attribute.value) in self.client_codes
                    and not self._is_store(attribute)):
                field = attribute.attr.value
                self._item(rules.NO_V3_EQUIVALENT, attribute,
                           f"InfluxDBClient3 has no public .{field} (AttributeError): keep the value passed to the "
                           "constructor (host=, org=, token=) in your own variable or attribute.")
        for reference in self.async_refs:
            # Blocking: the v2 async client would stay, and a v2 write API silently drops a v3 Point.
            self._item(rules.ASYNC_CLIENT, reference,
                       "InfluxDBClientAsync has no v3 counterpart (InfluxDBClient3.write is blocking; only queries "
                       "have query_async()), and a v2 client left in place silently drops the v3 Points the "
                       "migrated code builds, so nothing was changed: move to the sync client, with "
                       "asyncio.to_thread for writes, then run the recipe again.",
                       "client = InfluxDBClient3(host=..., token=..., database=...); "
                       "await asyncio.to_thread(client.write, record=..., database=...); "
                       "await client.query_async(query=..., language='sql')", blocking=True)

    def _query_api(self, call: cst.Call) -> None:
        client_code = self.ctx.code(call.func.value)
        chained = self.ctx.call_of_method(call, v2_api.QUERY_METHODS)
        consumers = [chained] if chained is not None else []
        if chained is None:
            holder = self.ctx.parent(call)
            target = holder.targets[0].target if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else None
            receivers = []
            if isinstance(target, cst.Name) and self.ctx.scope(target) is not None:
                for assignment in self.ctx.scope(target).assignments[target.value]:
                    if assignment.node is target:
                        receivers = [access.node for access in assignment.references]
            elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                owner = self._self_class(target.value)
                receivers = self._self_attribute_uses(owner, target.attr.value)[1] if owner else []
            for node in receivers:
                found = self.ctx.call_of_method(node, v2_api.QUERY_METHODS)
                if found is not None:
                    consumers.append(found)
            if target is not None:
                self._item(rules.FLUX_QUERY, call,
                           "InfluxDBClient3 has no query_api(): this line raises AttributeError as soon as it runs "
                           "(even before any query); drop it once the queries using it are rewritten as "
                           f"{client_code}.query(...).")
        if not consumers:
            self.other_buckets.append(None)
            self._item(rules.FLUX_QUERY, call, advise("query", client_code, None, None).reason)
            return
        for method, query_call in consumers:
            if method in v2_api.DATAFRAME_QUERY_METHODS:
                self.uses_dataframes = True
            flux_arg = argument(query_call, "query", 0)
            flux = flux_text(flux_arg, self.ctx) if flux_arg is not None else None
            self.other_buckets.append(flux_bucket_key(flux))
            holder = self.ctx.parent(query_call)
            target_code = None
            if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                target_code = self.ctx.code(holder.targets[0].target) + " ="
            elif isinstance(holder, cst.Return):
                target_code = "return"
            advice = advise(method, client_code, target_code, flux)
            reason = advice.reason
            origins = text_origins(flux_arg, self.ctx) if flux_arg is not None else []
            if origins:
                reason = f"The Flux text is at {', '.join(origins)}. {reason}"
            self._item(rules.FLUX_QUERY, query_call, reason, advice.suggestion)


def flux_bucket_key(flux: tuple[str, list[str]] | None) -> str | None:
    """from(bucket: ...) of a Flux text, in the same normalised form as _bucket_key."""
    if flux is None:
        return None
    text, expressions = flux
    found = _FLUX_BUCKET.search(text)
    if found is None:
        return None
    bucket = found.group(1)
    placeholder = re.fullmatch(r"__p(\d+)__", bucket)
    return expressions[int(placeholder.group(1))] if placeholder else repr(bucket)
