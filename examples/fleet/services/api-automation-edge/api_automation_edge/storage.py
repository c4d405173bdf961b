"""Automation run records and webhook delivery metrics, written to the edge InfluxDB."""
from __future__ import annotations

from datetime import datetime

from influxdb_client import InfluxDBClient
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write.point import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision

EDGE_INFLUX_URL = "http://127.0.0.1:8086"


class RunRecorder:
    def __init__(self, url: str = EDGE_INFLUX_URL, token: str = "edge-token", org: str = "edge",
                 bucket: str = "automation_runs", timeout_ms: int = 2_000) -> None:
        self.org = org
        self.bucket = bucket
        self.client = InfluxDBClient(url=url, token=token, org=org, timeout=timeout_ms)
        self.write_api = self.client.write_api(write_options=SYNCHRONOUS)

    def record_run(self, automation: str, succeeded: bool, duration_s: float, finished_at: datetime) -> None:
        point = (
            Point("automation_run")
            .tag("automation", automation)
            .field("succeeded", succeeded)
            .field("duration_s", duration_s)
            .time(finished_at, WritePrecision.S)
        )
        self.write_api.write(bucket=self.bucket, org=self.org, record=point)

    def record_delivery_lines(self, lines: list[str]) -> bool:
        """Lines come from retry_metrics.deliver(); a rejected batch is dropped, not retried."""
        try:
            self.write_api.write(self.bucket, self.org, lines)
        except InfluxDBError:
            return False
        self.write_api.flush()
        return True

    def close(self) -> None:
        self.client.close()
