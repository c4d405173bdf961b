"""MQTT control channel of data-retention.

Operators publish `retention/<bucket>/purge` or `retention/<bucket>/policy` with a JSON body such as
`{"days": 30}`; the bridge hands a RetentionCommand to the service and answers on
`retention/<bucket>/status`. The bridge reconnects on broker loss, so a restart of the broker
never takes the service down.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from asyncio_mqtt import Client
from asyncio_mqtt.error import MqttError

logger = logging.getLogger(__name__)

PURGE_TOPIC = "retention/+/purge"
POLICY_TOPIC = "retention/+/policy"
# Commands arrive in bursts when operators script them; beyond this we would rather drop and log.
MAX_PENDING_COMMANDS = 100


@dataclass(frozen=True)
class RetentionCommand:
    bucket: str
    action: str  # "purge" or "policy"
    days: int


CommandHandler = Callable[[RetentionCommand], Awaitable[dict]]


def parse_command(topic: str, payload: bytes) -> RetentionCommand:
    _, bucket, action = topic.split("/")
    days = int(json.loads(payload)["days"])
    if days <= 0:
        raise ValueError(f"retention must be at least one day, got {days}")
    return RetentionCommand(bucket=bucket, action=action, days=days)


class RetentionCommandBridge:
    def __init__(
        self,
        host: str,
        port: int,
        handle: CommandHandler,
        *,
        client_id: str = "data-retention",
        reconnect_interval: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self._handle = handle
        self._client_id = client_id
        self._reconnect_interval = reconnect_interval
        self.subscribed = asyncio.Event()
        self.connected_as: str | None = None
        self.connection_failures = 0

    async def run(self) -> None:
        while True:
            try:
                await self._serve()
            except MqttError as error:
                self.subscribed.clear()
                self.connection_failures += 1
                logger.warning("MQTT connection lost (%s); retrying in %.1fs", error, self._reconnect_interval)
                await asyncio.sleep(self._reconnect_interval)

    async def _serve(self) -> None:
        async with Client(
            self.host, self.port, client_id=self._client_id, keepalive=30, message_retry_set=10
        ) as client:
            self.connected_as = client.id
            async with client.messages(queue_maxsize=MAX_PENDING_COMMANDS) as messages:
                await client.subscribe(PURGE_TOPIC, qos=1)
                await client.subscribe(POLICY_TOPIC, qos=1)
                self.subscribed.set()
                logger.info("listening for retention commands as %s", client.id)
                async for message in messages:
                    reply = await self._answer(message.topic.value, message.payload)
                    bucket = message.topic.value.split("/")[1]
                    await client.publish(f"retention/{bucket}/status", json.dumps(reply), qos=1)

    async def _answer(self, topic: str, payload: bytes) -> dict:
        try:
            command = parse_command(topic, payload)
        except (ValueError, KeyError) as error:
            return {"ok": False, "error": str(error)}
        return {"ok": True, **await self._handle(command)}
