"""Writes Home Assistant state changes to InfluxDB; plugs into IngestionPipeline as its writer."""
from __future__ import annotations

import asyncio
import logging

from influxdb_client import InfluxDBClient, Point, WriteOptions
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import WriteType

from .influx_config import INFLUX_ORG, INFLUX_TOKEN, INFLUX_URL, STATE_BUCKET

log = logging.getLogger(__name__)


def state_point(entity_id: str, state: str) -> Point:
    domain, _, name = entity_id.partition(".")
    point = Point("ha_state").tag("domain", domain).tag("entity", name)
    try:
        return point.field("value", float(state))
    except ValueError:
        return point.field("state", state)


class StateWriter:
    def __init__(self, url: str = INFLUX_URL) -> None:
        self.failed_batches = 0
        self._client = InfluxDBClient(url=url, token=INFLUX_TOKEN, org=INFLUX_ORG)
        self._write_api = self._client.write_api(
            write_options=WriteOptions(write_type=WriteType.synchronous)
        )

    def write_states(self, states: list[dict]) -> None:
        points = [state_point(s["entity_id"], s["state"]) for s in states]
        try:
            self._write_api.write(bucket=STATE_BUCKET, record=points)
        except InfluxDBError as error:
            self.failed_batches += 1
            log.error("dropped %d states: %s", len(points), error)

    async def __call__(self, batch: list[dict]) -> None:
        """IngestionPipeline's writer: a coroutine taking a batch of parsed states."""
        await asyncio.to_thread(self.write_states, batch)

    def close(self) -> None:
        self._client.close()
