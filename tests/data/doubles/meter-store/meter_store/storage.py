"""Writes meter readings to InfluxDB (v2 client)."""
from influxdb_client import InfluxDBClient, Point
from influxdb_client.client.write_api import SYNCHRONOUS


class ReadingStore:
    def __init__(self, url: str, token: str, org: str, bucket: str) -> None:
        self.client = InfluxDBClient(url=url, token=token, org=org)
        self.writer = self.client.write_api(write_options=SYNCHRONOUS)
        self.bucket = bucket

    def record(self, meter: str, watts: float) -> None:
        point = Point("power").tag("meter", meter).field("watts", watts)
        self.writer.write(bucket=self.bucket, record=point)

    def close(self) -> None:
        self.client.close()
