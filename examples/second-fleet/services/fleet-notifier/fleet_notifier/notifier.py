"""Pushes notifications to devices over MQTT and waits for their acknowledgements."""
from __future__ import annotations

import asyncio
import contextlib
import json

from asyncio_mqtt import Client
from paho.mqtt.client import MQTTMessage
from tenacity import retry, retry_if_exception_type, stop_after_attempt

from .waits import RecordingWait

PUBLISH_BACKOFF = RecordingWait(0.01)


class DeviceOffline(Exception):
    pass


def describe(message: MQTTMessage) -> str:
    """Log line for a raw paho message (kept for the legacy bridge)."""
    return f"{message.topic}: {message.payload!r}"


class Notifier:
    def __init__(self, client: Client, prefix: str = "devices") -> None:
        self.client = client
        self.prefix = prefix
        self.listening = asyncio.Event()

    @property
    def sender(self) -> str:
        return self.client.id

    @retry(stop=stop_after_attempt(3), wait=PUBLISH_BACKOFF, retry=retry_if_exception_type(DeviceOffline),
           reraise=True)
    async def notify(self, device: str, text: str, online=lambda device: True) -> None:
        if not online(device):
            raise DeviceOffline(device)
        await self.client.publish(f"{self.prefix}/{device}/inbox", json.dumps({"from": self.sender, "text": text}),
                                  qos=1)

    async def acknowledgements(self, count: int) -> list[str]:
        acked = []
        async with self.client.messages() as messages:
            await self.client.subscribe(f"{self.prefix}/+/ack", qos=1)
            self.listening.set()
            async for message in messages:
                acked.append(message.topic.value.split("/")[1])
                if len(acked) == count:
                    return acked
        return acked


@contextlib.asynccontextmanager
async def open_notifier(host: str, port: int):
    async with Client(host, port, client_id="fleet-notifier") as client:
        yield Notifier(client)
