import influxdb_client
from influxdb_client.client.write_api import SYNCHRONOUS
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from .points import reading_point


def write_reading(write_api, bucket, reading):
    """Kept apart from the store so the backfill script can reuse it with its own client."""
    write_api.write(bucket=bucket, record=reading_point(reading))


class TelemetryStore:
    def __init__(self, settings):
        self.settings = settings
        self.client = influxdb_client.InfluxDBClient(
            url=settings.influx_url, token=settings.influx_token, org=settings.influx_org
        )
        self.write_api = self.client.write_api(write_options=SYNCHRONOUS)

    @retry(stop=stop_after_attempt(3), wait=wait_fixed(0.05), retry=retry_if_exception_type(OSError))
    def save(self, reading):
        write_reading(self.write_api, self.settings.bucket, reading)

    def save_many(self, readings):
        for reading in readings:
            self.save(reading)
        return self.save.retry.statistics.get("attempt_number", 0)

    def close(self):
        self.client.close()
