"""Wind readings in, peak gusts out."""
from __future__ import annotations

import datetime as dt

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

# Beaufort 10 and 12, in metres per second
STORM_MS = 24.5
HURRICANE_MS = 32.7


class StormVault:
    def __init__(self, url: str, token: str, org: str, bucket: str = "storms") -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._writes = self._client.write_api(write_options=SYNCHRONOUS)
        self._queries = self._client.query_api()
        self._org = org
        self._bucket = bucket

    def observe(self, station: str, gust_ms: float, at: dt.datetime) -> None:
        point = Point("wind").tag("station", station).field("gust_ms", float(gust_ms)).time(at, WritePrecision.S)
        self._writes.write(bucket=self._bucket, record=point)

    def peak_gust(self, station: str, hours: int = 24) -> float | None:
        flux = (f'from(bucket: "{self._bucket}")'
                f' |> range(start: -{hours}h)'
                f' |> filter(fn: (r) => r._measurement == "wind" and r.station == "{station}")'
                ' |> max()')
        tables = self._queries.query(flux, org=self._org)
        return max((record.get_value() for table in tables for record in table.records), default=None)

    def close(self) -> None:
        self._client.close()


def storm_warning(vault: StormVault, station: str) -> str:
    gust = vault.peak_gust(station, hours=3)
    if gust is None:
        return "no data"
    if gust >= HURRICANE_MS:
        return "hurricane"
    return "storm" if gust >= STORM_MS else "none"
