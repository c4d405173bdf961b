"""Log records -> InfluxDB points, written in batches on a worker thread (the client blocks)."""
from __future__ import annotations

import asyncio

from influxdb_client import InfluxDBClient, Point
from influxdb_client.client.write_api import SYNCHRONOUS


def to_point(record: dict) -> Point:
    return (Point("log")
            .tag("service", record["service"])
            .tag("level", record["level"])
            .field("message", record["message"]))


class LogShipper:
    def __init__(self, client: InfluxDBClient, bucket: str, batch_size: int = 500) -> None:
        self._write_api = client.write_api(write_options=SYNCHRONOUS)
        self._bucket = bucket
        self._batch_size = batch_size
        self._pending: list[Point] = []

    def add(self, record: dict) -> None:
        self._pending.append(to_point(record))

    async def flush(self) -> int:
        points, self._pending = self._pending, []
        for start in range(0, len(points), self._batch_size):
            await asyncio.to_thread(self._write, points[start:start + self._batch_size])
        return len(points)

    def _write(self, batch: list[Point]) -> None:
        self._write_api.write(bucket=self._bucket, record=batch)


def make_shipper(url: str, token: str, org: str, bucket: str) -> LogShipper:
    return LogShipper(InfluxDBClient(url=url, token=token, org=org), bucket)
