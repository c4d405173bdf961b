"""InfluxDB side of retention: deletes old points per bucket and records each purge run."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class InfluxRetention:
    def __init__(self, url: str = DEFAULT_URL, token: str = "retention-token", org: str = "homeiq") -> None:
        self._org = org
        self._client = InfluxDBClient(url=url, token=token, org=org)

    async def delete_before(self, bucket: str, cutoff: datetime) -> int:
        """Shape of RetentionPlanner's delete_before; InfluxDB does not report a count, so 0."""
        await asyncio.to_thread(
            self._client.delete_api().delete, EPOCH, cutoff, "", bucket=bucket, org=self._org
        )
        return 0

    def record_run(self, bucket: str, cutoff: datetime, finished_at: datetime) -> None:
        point = (
            Point("retention_run")
            .tag("bucket", bucket)
            .field("cutoff", cutoff.isoformat())
            .time(finished_at, WritePrecision.S)
        )
        self._client.write_api(write_options=SYNCHRONOUS).write(bucket="ops", record=point)

    def close(self) -> None:
        self._client.close()
