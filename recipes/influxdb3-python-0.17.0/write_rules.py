"""write_api(): synchronous ones become the client (INF006, INF007), every other one is listed (INF104,
INF110). What moves is decided for the whole service first (write_flow.WriteFlow); these rules make it so,
also in the helper modules and importers (the codemod's files_to_read adds them)."""
from __future__ import annotations

from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from .service_facts import InfluxRule
from .write_sites import Rewrite

SYNC_WRITE_NOTE = ("InfluxDBClient3 writes synchronously by default, so write_api(write_options=SYNCHRONOUS) calls "
                   "became client.write(record=..., database=...); org= on writes was dropped (the client's org "
                   "applies).")


class _FlowRewrites(InfluxRule):
    """Makes the flow's rewrites of this rule in each file (the recipe reads every file the flow edits)."""

    def begin_service(self) -> None:
        self.rewritten = 0

    def begin_file(self) -> None:
        writes = self.service.flow.modules.get(self.path)
        if writes is None or self.blocked:
            return
        for rewrite in writes.rewrites:
            if rewrite.rule == self.ID:
                self.make(rewrite)

    def make(self, rewrite: Rewrite) -> None:
        description = rewrite.description or None
        if rewrite.remove:
            self.remove(rewrite.node, count=rewrite.count, description=description)
        elif rewrite.change is not None:
            self.replace(rewrite.node, rewrite.change, count=rewrite.count, description=description)
        else:
            self.count(rewrite.count, description)
        self.rewritten += rewrite.count


class SyncWrite(_FlowRewrites):
    ID = "INF006"
    KIND = REWRITE
    MESSAGE = ("write_api(write_options=SYNCHRONOUS).write(bucket=B, record=R) -> "
               "client.write(record=R, database=B)")
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        client.write_api().write(bucket="b", record="m v=1")
        """, name="a batching write API is listed (INF104), not rewritten")]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            def record(point):
                client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
                write_api = client.write_api(write_options=SYNCHRONOUS)
                write_api.write("metrics", "acme", point)
            """, after="""
            from influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            def record(point):
                client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
                client.write(record=point, database="metrics")
            """, name="positional arguments, org dropped"),
        Invalid({
            "svc/sink.py": """
                def save(write_api, points):
                    write_api.write(bucket="metrics", record=points)
                """,
            "svc/app.py": """
                from influxdb_client import InfluxDBClient
                from influxdb_client.client.write_api import SYNCHRONOUS

                from .sink import save

                def record(client: InfluxDBClient, points):
                    save(client.write_api(write_options=SYNCHRONOUS), points)
                """,
        }, after={
            "svc/sink.py": """
                def save(write_api, points):
                    write_api.write(record=points, database="metrics")
                """,
            "svc/app.py": """
                from influxdb_client import InfluxDBClient
                from influxdb_client.client.write_api import SYNCHRONOUS

                from .sink import save

                def record(client: InfluxDBClient, points):
                    save(client, points)
                """,
        }, name="a helper of the service takes the client"),
    ]

    def end_service(self) -> None:
        if self.rewritten:
            self.note(SYNC_WRITE_NOTE)


class WriteApiLifecycle(_FlowRewrites):
    ID = "INF007"
    KIND = REWRITE
    MESSAGE = ("synchronous write_api.flush() -> client.flush(); write_api.close() dropped (client.close() "
               "covers it)")
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        client.close()
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def record(client: InfluxDBClient, point):
            with client.write_api(write_options=SYNCHRONOUS) as write_api:
                write_api.write(bucket="metrics", record=point)
                write_api.flush()
            write_api.close()
        """, after="""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def record(client: InfluxDBClient, point):
            write_api.write(bucket="metrics", record=point)
            client.flush()
        """, name="the with statement, flush and close (INF006 alone rewrites the write)")]


class BatchingWrite(InfluxRule):
    ID = "INF104"
    KIND = MANUAL
    MESSAGE = "manual: batching/asynchronous write_api() options (v3 mode and callbacks to decide)"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        client.write_api(write_options=SYNCHRONOUS).write(bucket="b", record="m v=1")
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient, WriteOptions

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        write_api = client.write_api(write_options=WriteOptions(batch_size=500))
        """, items=[4])]

    def begin_file(self) -> None:
        writes = self.service.flow.modules.get(self.path)
        for call, why in writes.batching if writes is not None else ():
            self.item(call, why, "InfluxDBClient3(..., write_client_options=write_client_options(write_options="
                                 "WriteOptions(batch_size=..., flush_interval=...), success_callback=..., "
                                 "error_callback=...)) then client.write(record=..., database=...); or drop the "
                                 "options: InfluxDBClient3 writes synchronously by default")


class WriteApiEscapes(InfluxRule):
    ID = "INF110"
    KIND = MANUAL
    MESSAGE = "manual: a write API object used in a way the codemod cannot follow"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def record(client: InfluxDBClient, point):
            write_api = client.write_api(write_options=SYNCHRONOUS)
            write_api.write(bucket="b", record=point)
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        def writer(client: InfluxDBClient):
            write_api = client.write_api(write_options=SYNCHRONOUS)
            return write_api
        """, items=[5, 6])]

    def begin_file(self) -> None:
        writes = self.service.flow.modules.get(self.path)
        for escape in writes.escapes if writes is not None else ():
            self.item(escape.node, f"InfluxDBClient3 has no write_api(); {escape.why}, so it was left unchanged.",
                      "client.write(record=..., database=...)  # on the InfluxDBClient3 itself")
