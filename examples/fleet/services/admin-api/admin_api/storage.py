"""Audit trail of admin changes in InfluxDB (one point per change), plus bucket provisioning."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"


class AuditTrail:
    def __init__(self, url: str = DEFAULT_URL, token: str = "admin-token", org: str = "homeiq",
                 bucket: str = "admin_audit") -> None:
        self._org = org
        self._bucket = bucket
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def ensure_bucket(self, retention_days: int = 365) -> None:
        """Run at deploy time; the bucket is created once per environment."""
        buckets = self._client.buckets_api()
        if buckets.find_bucket_by_name(self._bucket) is None:
            buckets.create_bucket(bucket_name=self._bucket, org=self._org,
                                  retention_rules=[{"type": "expire", "everySeconds": retention_days * 86_400}])

    def record_change(self, actor: str, key: str, old: object, new: object, at: datetime | None = None) -> None:
        point = (
            Point("setting_change")
            .tag("actor", actor)
            .tag("key", key)
            .field("old", json.dumps(old))
            .field("new", json.dumps(new))
            .time(at or datetime.now(timezone.utc), WritePrecision.MS)
        )
        self._write_api.write(bucket=self._bucket, org=self._org, record=point)

    async def record_change_async(self, actor: str, key: str, old: object, new: object) -> None:
        await asyncio.to_thread(self.record_change, actor, key, old, new)

    def close(self) -> None:
        self._client.close()
