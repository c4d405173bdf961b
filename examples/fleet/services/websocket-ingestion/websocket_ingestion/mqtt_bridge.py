"""Temperature ingestion from MQTT.

Room sensors publish a plain decimal on `sensors/<room>/temp` (other `sensors/...` topics carry
humidity and battery levels that this service ignores). Each reading is handed to the ingestion
pipeline, which batches it towards InfluxDB together with the websocket events.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

import asyncio_mqtt

logger = logging.getLogger(__name__)

SENSOR_TOPICS = "sensors/#"
TEMPERATURE_FILTER = "sensors/+/temp"
OUTDOOR_TOPIC = "sensors/outdoor/temp"
# A stalled pipeline must not grow memory without bound: past this, readings are dropped.
MAX_BUFFERED_READINGS = 500


@dataclass(frozen=True)
class TemperatureReading:
    room: str
    celsius: float
    outdoor: bool


ReadingSink = Callable[[TemperatureReading], Awaitable[None]]


class TemperatureIngestor:
    def __init__(
        self,
        host: str,
        port: int,
        sink: ReadingSink,
        *,
        client_id: str = "websocket-ingestion",
        reconnect_interval: float = 3.0,
    ) -> None:
        self.host = host
        self.port = port
        self._sink = sink
        self._client_id = client_id
        self._reconnect_interval = reconnect_interval
        self.subscribed = asyncio.Event()
        self.rejected: list[str] = []
        self.disconnects = 0

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run()
            except asyncio_mqtt.MqttError as error:
                self.subscribed.clear()
                self.disconnects += 1
                logger.warning("sensor feed interrupted: %s", error)
                await asyncio.sleep(self._reconnect_interval)

    async def run(self) -> None:
        async with asyncio_mqtt.Client(self.host, self.port, client_id=self._client_id) as client:
            async with client.filtered_messages(TEMPERATURE_FILTER, queue_maxsize=MAX_BUFFERED_READINGS) as readings:
                await client.subscribe(SENSOR_TOPICS)
                self.subscribed.set()
                async for message in readings:
                    room = message.topic.split("/")[1]
                    try:
                        celsius = float(message.payload.decode())
                    except ValueError:
                        logger.warning("unreadable temperature on %s: %r", message.topic, message.payload)
                        self.rejected.append(message.topic)
                        continue
                    await self._sink(
                        TemperatureReading(room=room, celsius=celsius, outdoor=message.topic == OUTDOOR_TOPIC)
                    )
