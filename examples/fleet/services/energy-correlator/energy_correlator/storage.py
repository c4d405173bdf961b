"""Correlations between appliances and consumption: a burst writer for the analyser, a daily summary."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WriteOptions, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"
TOKEN = "correlator-token"
ORG = "homeiq"


@dataclass(frozen=True)
class Correlation:
    appliance: str
    coefficient: float
    window_end: datetime

    def to_point(self) -> Point:
        return (
            Point("appliance_correlation")
            .tag("appliance", self.appliance)
            .field("coefficient", self.coefficient)
            .time(self.window_end, WritePrecision.S)
        )


class CorrelationBatcher:
    """The analyser emits thousands of correlations per run: batch them instead of one request each."""

    def __init__(self, url: str = DEFAULT_URL, bucket: str = "correlations") -> None:
        self._bucket = bucket
        self._client = InfluxDBClient(url=url, token=TOKEN, org=ORG)
        self._write_api = self._client.write_api(
            write_options=WriteOptions(batch_size=500, flush_interval=1_000)
        )

    def add(self, correlations: list[Correlation]) -> None:
        self._write_api.write(bucket=self._bucket, record=[c.to_point() for c in correlations])

    def close(self) -> None:
        self._write_api.close()  # flushes the pending batch
        self._client.close()


def write_daily_summary(day: datetime, strongest: Correlation, url: str = DEFAULT_URL) -> None:
    summary = (
        Point("correlation_summary")
        .tag("appliance", strongest.appliance)
        .field("coefficient", strongest.coefficient)
        .time(day, WritePrecision.S)
    )
    with InfluxDBClient(url=url, token=TOKEN, org=ORG) as client:
        client.write_api(write_options=SYNCHRONOUS).write(bucket="correlation_summaries", record=summary)
