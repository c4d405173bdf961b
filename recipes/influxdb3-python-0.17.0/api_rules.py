"""What InfluxDBClient3 does not offer, each site listed: Flux queries (INF101, with the SQL to write when the
pipeline is simple), delete (INF102), management APIs (INF103), health checks (INF105), the async client
(INF106, which stops every change)."""
from __future__ import annotations

import libcst as cst

from bot.change.rule import MANUAL, Invalid, Valid

from . import v2_api
from .service_facts import InfluxRule

FLUX_NOTE = ("InfluxDB 3 does not run Flux. Each query is a checklist item; simple pipelines come with a suggested "
             "SQL query and the change its consumer needs (Arrow table instead of FluxTables). Check the per-series "
             "caveats where noted.")
_DELETE = frozenset({v2_api.DELETE_API})


class _ApiCall(InfluxRule):
    def api_call(self, node: cst.Call, methods) -> str | None:
        """The method of `<client>.<method>(...)`, one of `methods`, when the receiver may be an InfluxDB client
        (the method is tested first: may_be_influx prints the receiver's source)."""
        if (isinstance(node.func, cst.Attribute) and node.func.attr.value in methods
                and self.facts.may_be_influx(node.func.value)):
            return node.func.attr.value
        return None


class FluxQuery(InfluxRule):
    ID = "INF101"
    KIND = MANUAL
    MESSAGE = "manual: Flux query via query_api() (suggested SQL when the pipeline is simple)"
    VALID = [Valid("""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3(host="http://localhost:8181", token="t", database="db")
        table = client.query("SELECT * FROM cpu")
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        def cpu(client: InfluxDBClient, host):
            return client.query_api().query(f'from(bucket: "metrics") |> range(start: -1h) '
                                            f'|> filter(fn: (r) => r._measurement == "cpu" and r.host == "{host}")')
        """, items=[4])]

    def begin_service(self) -> None:
        self.listed = False

    def begin_file(self) -> None:
        for query in self.service.api_uses(self.parsed).queries:
            self.item(query.node, query.reason, query.suggestion)
            self.listed = True

    def end_service(self) -> None:
        if self.listed and not self.blocked:
            self.note(FLUX_NOTE)


class DeleteApi(_ApiCall):
    ID = "INF102"
    KIND = MANUAL
    MESSAGE = "manual: delete_api() has no InfluxDB 3 equivalent"
    VALID = [Valid("""
        import shutil

        shutil.rmtree("/tmp/cache")
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        def purge(client: InfluxDBClient):
            client.delete_api().delete("1970-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "", bucket="b", org="o")
        """, items=[4])]

    def visit_Call(self, node: cst.Call) -> None:
        if self.api_call(node, _DELETE):
            self.item(node, "InfluxDBClient3 has no delete_api() and InfluxDB 3 has no delete-by-predicate: rely on "
                            "the database's retention period, or delete whole tables/databases with the server's CLI "
                            "or HTTP API.")


class ManagementApi(_ApiCall):
    ID = "INF103"
    KIND = MANUAL
    MESSAGE = "manual: buckets/tasks/organizations/users/authorizations APIs are not in InfluxDBClient3"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        client.close()
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        client.buckets_api().create_bucket(bucket_name="metrics")
        """, items=[4])]

    def visit_Call(self, node: cst.Call) -> None:
        method = self.api_call(node, v2_api.MANAGEMENT_APIS)
        if method:
            self.item(node, f"InfluxDBClient3 has no {method}(): databases (buckets) are created on first write and "
                            "managed with the server's CLI/HTTP API; Flux tasks, organizations, users and "
                            "authorizations have no v3 client API.")


class HealthCheck(_ApiCall):
    ID = "INF105"
    KIND = MANUAL
    MESSAGE = "manual: ping()/health()/ready()/version() -> get_server_version()"
    VALID = [Valid("""
        import requests

        client = requests.Session()
        client.ping = None
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        alive = client.ping()
        """, items=[4])]

    def visit_Call(self, node: cst.Call) -> None:
        method = self.api_call(node, v2_api.HEALTH_METHODS)
        if method and self.code(node.func.value) in self.facts.client_codes:
            self.item(node, f"InfluxDBClient3 has no {method}(); get_server_version() is the closest check (it raises "
                            "when the server is unreachable).", f"{self.code(node.func.value)}.get_server_version()")


class AsyncClient(InfluxRule):
    ID = "INF106"
    KIND = MANUAL
    MESSAGE = "manual: InfluxDBClientAsync has no v3 counterpart (blocks the move: v2 drops v3 Points)"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        """)]
    INVALID = [Invalid("""
        from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync

        async def record(point):
            async with InfluxDBClientAsync(url="http://localhost:8086", token="t", org="o") as client:
                await client.write_api().write(bucket="b", record=point)
        """, items=[4])]

    def begin_file(self) -> None:
        # Blocking: the v2 async client would stay, and a v2 write API silently drops a v3 Point.
        for reference in self.facts.async_refs:
            self.item(reference,
                      "InfluxDBClientAsync has no v3 counterpart (InfluxDBClient3.write is blocking; only queries have "
                      "query_async()), and a v2 client left in place silently drops the v3 Points the migrated code "
                      "builds, so nothing was changed: move to the sync client, with asyncio.to_thread for writes, "
                      "then run the recipe again.",
                      "client = InfluxDBClient3(host=..., token=..., database=...); "
                      "await asyncio.to_thread(client.write, record=..., database=...); "
                      "await client.query_async(query=..., language='sql')")
