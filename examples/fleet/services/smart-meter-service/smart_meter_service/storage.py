"""Smart-meter readings (millisecond timestamps from the P1 port) and a reachability check."""
from __future__ import annotations

from dataclasses import dataclass

from influxdb_client import InfluxDBClient as InfluxClient
from influxdb_client import Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

METER_DB_URL = "http://127.0.0.1:8086"


@dataclass(frozen=True)
class MeterReading:
    meter_id: str
    import_kwh: float
    export_kwh: float
    timestamp_ms: int


class MeterRecorder:
    def __init__(self, client: InfluxClient, bucket: str = "smart_meter") -> None:
        self._client = client
        self._bucket = bucket

    def record(self, reading: MeterReading) -> None:
        point = (
            Point("meter")
            .tag("meter_id", reading.meter_id)
            .field("import_kwh", reading.import_kwh)
            .field("export_kwh", reading.export_kwh)
            .time(reading.timestamp_ms, WritePrecision.MS)
        )
        write_api = self._client.write_api(write_options=SYNCHRONOUS)
        write_api.write(bucket=self._bucket, record=point)

    def database_reachable(self) -> bool:
        return self._client.ping()


def open_client(url: str = METER_DB_URL, token: str = "meter-token") -> InfluxClient:
    return InfluxClient(url=url, token=token, org="homeiq")
