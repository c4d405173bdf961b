"""Long-term archive of hourly energy totals."""
from __future__ import annotations

import asyncio
import os
from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import SYNCHRONOUS


class ArchiveUnavailable(RuntimeError):
    pass


class Archive:
    def __init__(self, client: InfluxDBClient, bucket: str = "energy_archive") -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_environment(cls) -> "Archive":
        return cls(InfluxDBClient.from_env_properties(), os.environ.get("ARCHIVE_BUCKET", "energy_archive"))

    def store(self, meter: str, kwh: float, hour: datetime) -> None:
        point = Point("hourly_energy").tag("meter", meter).field("kwh", kwh).time(hour, WritePrecision.S)
        try:
            with self.client.write_api(write_options=SYNCHRONOUS) as writer:
                writer.write(bucket=self.bucket, record=point)
        except InfluxDBError as error:
            raise ArchiveUnavailable(f"archive write failed: {error}") from error

    async def store_async(self, meter: str, kwh: float, hour: datetime) -> None:
        await asyncio.to_thread(self.store, meter, kwh, hour)

    def describe(self) -> str:
        return f"archive {self.bucket} at {self.client.url}"
