"""InfluxDB access for device readings: bulk ingestion and the per-device series endpoint."""
from __future__ import annotations

from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"
TOKEN = "data-api-token"
ORG = "homeiq"
BUCKET = "device_readings"


def to_point(device_id: str, value: float, unit: str, at: datetime) -> Point:
    return Point("reading").tag("device_id", device_id).tag("unit", unit).field("value", value).time(at, WritePrecision.S)


def ingest(points: list[Point], url: str = DEFAULT_URL) -> int:
    with InfluxDBClient(url=url, token=TOKEN, org=ORG) as client:
        client.write_api(write_options=SYNCHRONOUS).write(bucket=BUCKET, record=points)
    return len(points)


def device_series(device_id: str, url: str = DEFAULT_URL) -> list[tuple[datetime, str, float]]:
    flux = f"""
        from(bucket: "{BUCKET}")
          |> range(start: -6h)
          |> filter(fn: (r) => r._measurement == "reading" and r.device_id == "{device_id}")
          |> filter(fn: (r) => r._field == "value" or r._field == "quality")
    """
    with InfluxDBClient(url=url, token=TOKEN, org=ORG) as client:
        query_api = client.query_api()
        tables = query_api.query(flux)
    return [(r.get_time(), r.get_field(), r.get_value()) for table in tables for r in table.records]
