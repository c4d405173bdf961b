import asyncio
from unittest.mock import call

import paho.mqtt.publish as publish
import pytest

from door_events.listener import DoorListener, TOPIC


async def test_start_connects_and_subscribes(mqtt):
    listener = DoorListener("broker.local", 1883, name="hall")
    await listener.start()
    assert mqtt.call_args_list == [call("broker.local", 1883, client_id="hall")]
    mqtt.return_value.connect.assert_awaited_once()
    mqtt.return_value.subscribe.assert_awaited_once_with(TOPIC)


async def test_a_refused_connection_is_raised(mqtt):
    mqtt.return_value.connect.side_effect = OSError("refused")
    with pytest.raises(OSError):
        await DoorListener("broker.local", 1883).start()


async def test_stop_disconnects(mqtt):
    listener = DoorListener("broker.local", 1883)
    await listener.start()
    await listener.stop()
    mqtt.return_value.disconnect.assert_awaited_once_with()


@pytest.mark.manual_migration
async def test_listen_stops_on_a_broken_stream(mqtt):
    mqtt.return_value.unfiltered_messages.side_effect = RuntimeError("stream broke")
    listener = DoorListener("broker.local", 1883)
    await listener.start()
    with pytest.raises(RuntimeError):
        await listener.listen(1)


async def test_end_to_end_on_a_real_broker(broker):
    host, port = broker
    listener = DoorListener(host, port)
    await listener.start()

    async def send():
        await asyncio.sleep(0.3)
        for door, state in (("front", "open"), ("back", "closed")):
            await asyncio.to_thread(publish.single, f"doors/{door}/state", state, hostname=host, port=port)

    sender = asyncio.create_task(send())
    events = await asyncio.wait_for(listener.listen(2), timeout=10)
    await sender
    await listener.stop()
    assert events == [("doors/front/state", "open"), ("doors/back/state", "closed")]
