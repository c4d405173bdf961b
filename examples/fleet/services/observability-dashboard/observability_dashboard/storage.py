"""Dashboard data: page views are written, error panels are read with Flux."""
from __future__ import annotations

from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"
BUCKET = "observability"


class DashboardStore:
    def __init__(self, url: str = DEFAULT_URL, token: str = "dashboard-token", org: str = "homeiq") -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def record_view(self, panel: str, user: str, at: datetime) -> None:
        point = Point("panel_view").tag("panel", panel).field("user", user).time(at, WritePrecision.S)
        self._write_api.write(bucket=BUCKET, record=point)

    def recent_errors(self, service: str) -> list[tuple[datetime, float]]:
        flux = (
            f'from(bucket: "{BUCKET}") |> range(start: -15m) '
            f'|> filter(fn: (r) => r._measurement == "http_errors" and r._field == "count" and r.service == "{service}")'
        )
        tables = self._client.query_api().query(flux)
        return [(record.get_time(), record.get_value()) for table in tables for record in table.records]

    def error_rate_per_minute(self, service: str):
        """Panel 'error rate': windowed aggregation, kept in Flux until the SQL port of the dashboards."""
        flux = (
            f'from(bucket: "{BUCKET}") |> range(start: -1h) '
            f'|> filter(fn: (r) => r._measurement == "http_errors" and r.service == "{service}") '
            "|> aggregateWindow(every: 1m, fn: sum, createEmpty: false)"
        )
        return self._client.query_api().query(flux)

    def close(self) -> None:
        self._client.close()
