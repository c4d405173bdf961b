import asyncio
import contextlib

import pytest
from asyncio_mqtt import Client

from alarm_relay.relay import page, relay


def test_page_names_the_site():
    assert page("alarm", "site/north/alarm", b'{"level": 3}') == {"kind": "alarm", "site": "north", "body": {"level": 3}}


async def test_unreachable_broker_is_a_connection_error():
    with pytest.raises(ConnectionError, match="unavailable"):
        await relay("127.0.0.1", 1, sink=None)


@pytest.mark.manual_migration(reason="MQ012: two consumers of one client need a distributor on aiomqtt 2")
async def test_every_alarm_and_heartbeat_is_paged(broker_port):
    pages = []

    async def sink(item):
        pages.append(item)

    subscribed = asyncio.Event()
    task = asyncio.create_task(relay("127.0.0.1", broker_port, sink, subscribed))
    await asyncio.wait_for(subscribed.wait(), 5)
    await asyncio.sleep(0.1)
    async with Client("127.0.0.1", broker_port) as site:
        for n in range(3):
            await site.publish("site/north/alarm", f'{{"n": {n}}}', qos=1)
            await site.publish("site/south/heartbeat", "", qos=1)
    for _ in range(100):
        if len(pages) == 6:
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert sorted((p["kind"], p["site"]) for p in pages) == [("alarm", "north")] * 3 + [("heartbeat", "south")] * 3
