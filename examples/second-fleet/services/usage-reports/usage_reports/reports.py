"""Per-customer usage: metered writes and the daily totals the billing export reads."""
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException


class RejectedUsage(ValueError):
    pass


class UsageReports:
    def __init__(self, url, token, org="billing", bucket="usage"):
        self._org = org
        self._bucket = bucket
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=5_000)

    def record(self, customer, units):
        write_api = self._client.write_api(write_options=SYNCHRONOUS)
        try:
            write_api.write(self._bucket, self._org, f"usage,customer={customer} units={units}i")
        except ApiException as e:
            if e.status == 400:
                raise RejectedUsage(f"usage for {customer} rejected: {e.body}") from e
            raise

    def totals(self, start="-1d"):
        flux = (
            f'from(bucket: "{self._bucket}") |> range(start: {start})'
            ' |> filter(fn: (r) => r._measurement == "usage") |> group(columns: ["customer"]) |> sum()'
        )
        tables = self._client.query_api().query(flux, org=self._org)
        return {record.values["customer"]: record.get_value() for table in tables for record in table.records}

    def close(self):
        self._client.close()
