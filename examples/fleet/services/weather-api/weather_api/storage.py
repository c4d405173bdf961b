"""Weather observations per station: written as they arrive, read back hourly for charts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"


@dataclass(frozen=True)
class Observation:
    station: str
    temperature_c: float
    humidity_pct: float
    observed_at: datetime

    def as_record(self) -> dict:
        return {
            "measurement": "weather",
            "tags": {"station": self.station},
            "fields": {"temperature_c": self.temperature_c, "humidity_pct": self.humidity_pct},
            "time": int(self.observed_at.timestamp()),
        }


class ObservationRepository:
    def __init__(self, url: str = DEFAULT_URL, token: str = "weather-token", org: str = "homeiq",
                 bucket: str = "weather") -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=3_000)
        self._bucket = bucket

    def save(self, observations: list[Observation]) -> None:
        write_api = self._client.write_api(write_options=SYNCHRONOUS)
        write_api.write(
            bucket=self._bucket,
            record=[observation.as_record() for observation in observations],
            write_precision=WritePrecision.S,
        )

    def hourly_frame(self, station: str):
        """pandas DataFrame of the last day, one column per field (used by the chart endpoint)."""
        return self._client.query_api().query_data_frame(
            f'from(bucket: "{self._bucket}") |> range(start: -24h) '
            f'|> filter(fn: (r) => r._measurement == "weather" and r.station == "{station}") '
            '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'
        )

    def close(self) -> None:
        self._client.close()
