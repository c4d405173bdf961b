"""Door events from the building broker into the access-control queue."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Optional

import aiomqtt

DOOR_STATES = "doors/{site}/+/state"


@dataclass(frozen=True)
class DoorEvent:
    site: str
    door: str
    state: str


def parse(topic: str, payload: bytes) -> DoorEvent:
    _, site, door, _ = topic.split("/")
    return DoorEvent(site, door, json.loads(payload)["state"])


class DoorRelay:
    """Forwards one site's door states; the client is shared with the rest of the gateway."""

    def __init__(self, client: aiomqtt.Client, queue: asyncio.Queue, site: str) -> None:
        self._client = client
        self._queue = queue
        self._site = site

    async def run(self, ready: Optional[asyncio.Event] = None) -> None:
        states = DOOR_STATES.format(site=self._site)
        async with self._client.filtered_messages(states) as messages:
            await self._client.subscribe(states, qos=1)
            if ready is not None:
                ready.set()
            async for message in messages:
                await self._queue.put(parse(message.topic, message.payload))


async def main(host: str, port: int, site: str, queue: asyncio.Queue) -> None:
    async with aiomqtt.Client(host, port, client_id=f"relayq-{site}") as client:
        await DoorRelay(client, queue, site).run()
