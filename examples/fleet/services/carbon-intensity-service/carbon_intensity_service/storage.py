"""Writes grid carbon intensity per region, from the forecast API and from the upstream raw feed."""
from __future__ import annotations

from datetime import datetime

import influxdb_client
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"


class CarbonIntensityWriter:
    def __init__(self, url: str = DEFAULT_URL, token: str = "carbon-token", org: str = "homeiq",
                 bucket: str = "carbon_intensity") -> None:
        self.bucket = bucket
        self.org = org
        self.client = influxdb_client.InfluxDBClient(url=url, token=token, org=org)

    def write_intensity(self, region: str, grams_per_kwh: float, at: datetime) -> None:
        point = (
            influxdb_client.Point("carbon_intensity")
            .tag("region", region)
            .field("g_co2_per_kwh", grams_per_kwh)
            .time(at, influxdb_client.WritePrecision.S)
        )
        self.client.write_api(write_options=SYNCHRONOUS).write(self.bucket, self.org, point)

    def write_feed_lines(self, lines: list[str]) -> None:
        """The upstream feed already speaks line protocol (nanosecond timestamps)."""
        self.client.write_api(write_options=SYNCHRONOUS).write(self.bucket, self.org, lines)

    def close(self) -> None:
        self.client.close()
