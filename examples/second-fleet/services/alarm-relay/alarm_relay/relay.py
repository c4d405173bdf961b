"""Relays site alarms and heartbeats from the site broker to the paging sink.

Each kind of traffic has its own consumer task, so a slow pager never delays heartbeats.
"""
import asyncio
import json

import asyncio_mqtt as mqtt
from asyncio_mqtt.error import MqttError

ALARMS = "site/+/alarm"
HEARTBEATS = "site/+/heartbeat"


def page(kind, topic, payload):
    site = topic.split("/")[1]
    return {"kind": kind, "site": site, "body": json.loads(payload) if payload else None}


async def forward_alarms(client, sink):
    async with client.filtered_messages(ALARMS) as messages:
        async for message in messages:
            await sink(page("alarm", message.topic, message.payload))


async def forward_heartbeats(client, sink):
    async with client.filtered_messages(HEARTBEATS) as messages:
        async for message in messages:
            await sink(page("heartbeat", message.topic, message.payload))


async def relay(host, port, sink, subscribed=None):
    try:
        async with mqtt.Client(host, port, client_id="alarm-relay") as client:
            await client.subscribe(ALARMS, qos=1)
            await client.subscribe(HEARTBEATS, qos=1)
            if subscribed is not None:
                subscribed.set()
            await asyncio.gather(forward_alarms(client, sink), forward_heartbeats(client, sink))
    except MqttError as exc:
        raise ConnectionError(f"site broker {host}:{port} unavailable: {exc}") from exc
