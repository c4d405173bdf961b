"""The InfluxDB side of meterlog: one point per reading."""
from __future__ import annotations

import datetime as dt

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from tenacity import retry, retry_if_exception_type, stop_after_attempt

from meterlog.retrying import DEFAULT_POLICY

MEASUREMENT = "energy"


class MeterSink:
    """Writes meter readings to one bucket."""

    def __init__(self, url: str, token: str, org: str, bucket: str) -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._bucket = bucket

    def record(self, meter_id: str, kwh: float, at: dt.datetime) -> None:
        point = Point(MEASUREMENT).tag("meter", meter_id).field("kwh", float(kwh)).time(at, WritePrecision.S)
        self._send(point)

    @retry(
        stop=stop_after_attempt(DEFAULT_POLICY.attempts),
        wait=DEFAULT_POLICY.wait,
        retry=retry_if_exception_type(ConnectionError),
        reraise=True,
    )
    def _send(self, point: Point) -> None:
        self._write_api.write(bucket=self._bucket, record=point, write_precision=WritePrecision.S)

    def attempts_of_last_send(self) -> int:
        """How many tries the last reading needed (exported as a gauge by the gateway)."""
        return self._send.retry.statistics.get("attempt_number", 0)

    def close(self) -> None:
        self._client.close()
