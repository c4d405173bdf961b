"""One gateway per building: it announces itself (with a last will) and batches meter readings."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Optional

from asyncio_mqtt import Client, MqttError, Will

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    meter: str
    kwh: float


class MeterGateway:
    def __init__(self, host: str, port: int = 1883, gateway_id: str = "0") -> None:
        self.host = host
        self.port = port
        self.gateway_id = gateway_id
        self.client: Optional[Client] = None
        self.subscribed = asyncio.Event()

    @property
    def status_topic(self) -> str:
        return f"gateways/{self.gateway_id}/status"

    async def start(self) -> None:
        self.client = Client(
            self.host,
            self.port,
            client_id=f"gw-{self.gateway_id}",
            will=Will(self.status_topic, payload="offline", retain=True),
        )
        await self.client.connect(timeout=5)
        await self.client.publish(self.status_topic, "online", retain=True)

    async def stop(self) -> None:
        if self.client is None:
            return
        try:
            await self.client.publish(self.status_topic, "offline", retain=True)
            await self.client.disconnect(timeout=5)
        except MqttError as exc:
            log.warning("gateway %s left uncleanly: %s", self.gateway_id, exc)
        self.client = None

    async def collect(self, count: int) -> list[Reading]:
        """The next `count` readings published under meters/<meter>/kwh."""
        readings = []
        async with self.client.unfiltered_messages() as messages:
            await self.client.subscribe("meters/+/kwh")
            self.subscribed.set()
            async for message in messages:
                meter = message.topic.split("/")[1]
                readings.append(Reading(meter, float(message.payload)))
                if len(readings) >= count:
                    break
        return readings
