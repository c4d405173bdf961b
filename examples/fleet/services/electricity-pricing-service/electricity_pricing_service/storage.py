"""Stores day-ahead electricity prices so the scheduler can shift loads to cheap hours."""
from __future__ import annotations

from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"


def client_from_environment() -> InfluxDBClient:
    """Production wiring: INFLUXDB_V2_URL, INFLUXDB_V2_TOKEN and INFLUXDB_V2_ORG come from the deployment."""
    return InfluxDBClient.from_env_properties()


def connect(url: str = DEFAULT_URL, token: str = "pricing-token", org: str = "homeiq") -> InfluxDBClient:
    return InfluxDBClient(url=url, token=token, org=org, timeout=10_000)


class PriceStore:
    def __init__(self, client: InfluxDBClient, bucket: str = "electricity_prices") -> None:
        self._client = client
        self._bucket = bucket
        self._writes = client.write_api(write_options=SYNCHRONOUS)

    def store_prices(self, area: str, prices: list[tuple[datetime, float]]) -> int:
        points = [
            Point("day_ahead_price").tag("area", area).field("eur_per_mwh", price).time(at, WritePrecision.S)
            for at, price in prices
        ]
        self._writes.write(bucket=self._bucket, record=points, write_precision=WritePrecision.S)
        return len(points)
