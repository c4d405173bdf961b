from influxdb_client import InfluxDBClient, Point
from influxdb_client.client.write_api import SYNCHRONOUS
from tenacity import retry, stop_after_attempt, wait_fixed


class InfluxSink:
    def __init__(self, url, token="hub", org="home", bucket="sensors"):
        self.bucket = bucket
        self.client = InfluxDBClient(url=url, token=token, org=org)
        self.writer = self.client.write_api(write_options=SYNCHRONOUS)

    @retry(stop=stop_after_attempt(2), wait=wait_fixed(0.01))
    def save(self, topic, value):
        room = topic.split("/")[1]
        self.writer.write(bucket=self.bucket, record=Point("climate").tag("room", room).field("value", value))

    def close(self):
        self.client.close()
