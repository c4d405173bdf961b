"""Load forecasts: written per hour, and a baseline (mean of recent actual load) read for the model."""
from __future__ import annotations

from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"
BASELINE_FLUX = """
from(bucket: "energy")
  |> range(start: -7d)
  |> filter(fn: (r) => r._measurement == "household_load")
  |> filter(fn: (r) => r._field == "kw")
  |> mean()
"""


class ForecastStore:
    def __init__(self, url: str = DEFAULT_URL, token: str = "forecast-token", org: str = "homeiq") -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def save_forecast(self, model: str, hourly_kw: dict[datetime, float]) -> None:
        points = [
            Point("load_forecast").tag("model", model).field("kw", kw).time(hour, WritePrecision.S)
            for hour, kw in sorted(hourly_kw.items())
        ]
        self._write_api.write("energy", record=points, write_precision=WritePrecision.S)

    def baseline_kw(self) -> float | None:
        tables = self._client.query_api().query(BASELINE_FLUX)
        values = [record.get_value() for table in tables for record in table.records]
        return values[0] if values else None

    def close(self) -> None:
        self._client.close()
