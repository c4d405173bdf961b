import asyncio
import json
from types import SimpleNamespace

import pytest
from asyncio_mqtt import Client

from fleet_notifier.notifier import PUBLISH_BACKOFF, DeviceOffline, describe


@pytest.mark.asyncio
async def test_notification_reaches_the_device(broker, notifier):
    async with Client(*broker) as device:
        async with device.filtered_messages("devices/tv/inbox") as inbox:
            await device.subscribe("devices/tv/inbox", qos=1)
            await notifier.notify("tv", "update ready")
            async for message in inbox:
                assert json.loads(message.payload) == {"from": "fleet-notifier", "text": "update ready"}
                break


@pytest.mark.asyncio
async def test_acknowledgements_name_the_devices(broker, notifier):
    waiting = asyncio.create_task(notifier.acknowledgements(2))
    await asyncio.wait_for(notifier.listening.wait(), 5)
    async with Client(*broker) as devices:
        await devices.publish("devices/tv/ack", b"1", qos=1)
        await devices.publish("devices/fridge/ack", b"1", qos=1)
    assert await asyncio.wait_for(waiting, 5) == ["tv", "fridge"]


@pytest.mark.asyncio
@pytest.mark.manual_migration(reason="TEN005: the recording wait now also runs on the final attempt")
async def test_offline_device_backs_off_between_attempts_only(notifier):
    PUBLISH_BACKOFF.delays.clear()
    with pytest.raises(DeviceOffline):
        await notifier.notify("lamp", "hello", online=lambda device: False)
    assert PUBLISH_BACKOFF.delays == [0.01, 0.01]


def test_describe_raw_paho_message():
    message = SimpleNamespace(topic="devices/tv/ack", payload=b"1")
    assert describe(message) == "devices/tv/ack: b'1'"

