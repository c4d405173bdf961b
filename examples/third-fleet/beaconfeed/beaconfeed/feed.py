"""Beacon sightings from the gateways' MQTT topics, handed to a callback."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import asyncio_mqtt
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

SIGHTINGS = "beacons/+/seen"


@dataclass(frozen=True)
class Sighting:
    gateway: str
    beacon: str
    rssi: int


def parse(topic: str, payload: bytes) -> Sighting:
    data = json.loads(payload)
    return Sighting(topic.split("/")[1], data["id"], int(data["rssi"]))


class BeaconFeed:
    def __init__(self, host: str, port: int, on_sighting, *, attempts: int = 3, pause: float = 0.05) -> None:
        self.host, self.port = host, port
        self.on_sighting = on_sighting
        self.attempts, self.pause = attempts, pause
        self.connections = 0

    async def run(self, subscribed: asyncio.Event | None = None) -> None:
        """Follows the sightings until cancelled; a lost broker is retried, then raised."""
        retrying = AsyncRetrying(stop=stop_after_attempt(self.attempts), wait=wait_fixed(self.pause),
                                 retry=retry_if_exception_type(asyncio_mqtt.MqttError), reraise=True)
        async for attempt in retrying:
            with attempt:
                self.connections = attempt.retry_state.attempt_number
                async with asyncio_mqtt.Client(self.host, self.port, client_id="beaconfeed") as client:
                    async with client.unfiltered_messages() as messages:
                        await client.subscribe(SIGHTINGS)
                        if subscribed is not None:
                            subscribed.set()
                        async for message in messages:
                            self.on_sighting(parse(message.topic, message.payload))
