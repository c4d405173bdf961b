"""Persists air-quality readings to InfluxDB and reads the latest value back for the dashboard."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

INFLUX_URL = "http://127.0.0.1:8086"
INFLUX_TOKEN = "air-quality-token"
INFLUX_ORG = "homeiq"
BUCKET = "air_quality"


@dataclass(frozen=True)
class Reading:
    sensor: str
    pm25: float
    pm10: float
    taken_at: datetime


def reading_point(reading: Reading) -> Point:
    return (
        Point("air_quality")
        .tag("sensor", reading.sensor)
        .field("pm25", reading.pm25)
        .field("pm10", reading.pm10)
        .time(reading.taken_at, WritePrecision.S)
    )


def store_readings(readings: list[Reading], url: str = INFLUX_URL) -> None:
    with InfluxDBClient(url=url, token=INFLUX_TOKEN, org=INFLUX_ORG) as client:
        write_api = client.write_api(write_options=SYNCHRONOUS)
        write_api.write(bucket=BUCKET, record=[reading_point(r) for r in readings])


def latest_pm25(sensor: str, url: str = INFLUX_URL) -> float | None:
    flux = (
        f'from(bucket: "{BUCKET}") |> range(start: -1h) '
        f'|> filter(fn: (r) => r._measurement == "air_quality" and r._field == "pm25" and r.sensor == "{sensor}") '
        "|> last()"
    )
    with InfluxDBClient(url=url, token=INFLUX_TOKEN, org=INFLUX_ORG) as client:
        tables = client.query_api().query(flux)
    return next((record.get_value() for table in tables for record in table.records), None)
