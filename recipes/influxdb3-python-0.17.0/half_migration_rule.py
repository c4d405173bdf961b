"""INF112: no half migration. A client whose uses where it is built have no InfluxDBClient3 counterpart stays
on influxdb-client, and the uses that keep it there are listed (kept_clients.py says why and how)."""
from __future__ import annotations

from bot.change.rule import MANUAL, Invalid, Valid

from .service_facts import InfluxRule


class NoHalfMigration(InfluxRule):
    ID = "INF112"
    KIND = MANUAL
    MESSAGE = ("manual: a client used where it is built in a way InfluxDBClient3 cannot (query_api(), delete_api(), "
               "ping(), ...) stays on influxdb-client: no half migration")
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        class Reports:
            def __init__(self, url):
                self.client = InfluxDBClient(url=url, token="t", org="o")

            def errors(self):
                return self.client.query_api().query('from(bucket: "b") |> range(start: -1h)')
        """, name="a query in another method fails alone once migrated (INF101 lists it)")]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            class Adapter:
                def __init__(self, url):
                    self.client = InfluxDBClient(url=url, token="t", org="o")
                    self.write_api = self.client.write_api(write_options=SYNCHRONOUS)
                    self.query_api = self.client.query_api()
            """, items=[6], name="the constructor calls query_api(): nothing in the service moves"),
        Invalid("""
            from influxdb_client import InfluxDBClient

            def alive(url):
                with InfluxDBClient(url=url, token="t", org="o") as client:
                    return client.ping()
            """, items=[4], name="a client built and pinged in one function stays"),
    ]

    def begin_file(self) -> None:
        for client in self.service.kept(self.parsed):
            function = self.parsed.enclosing_function(client.construction)
            where = f"in {function.name.value}()" if function is not None else "at import"
            uses = ", ".join(f"`{use.what}` (line {self.parsed.line(use.node)})" for use in client.uses)
            verb = "is" if len(client.uses) == 1 else "are"
            reason = (f"InfluxDBClient stays on influxdb-client (no half migration): {uses} {verb} used where it is "
                      f"built ({where}) and InfluxDBClient3 has no counterpart, so a migrated client would fail there "
                      "before any of its migrated uses ran. Migrate the client with those uses (the checklist says "
                      "how), then run the recipe again; until then influxdb-client stays declared next to "
                      "influxdb3-python.")
            if client.writes:
                reason += (" It also writes through a v2 write API, which silently drops a v3 Point, so Point and every "
                           "other client of the service stay on v2 too: nothing in the service was changed.")
            self.item(client.construction, reason)
