import asyncio
import json
from unittest import mock

import pytest

from relayq import DoorEvent, DoorRelay, relay


@pytest.mark.asyncio
async def test_door_states_reach_the_queue(gateway_client, sensor, site):
    queue = asyncio.Queue()
    ready = asyncio.Event()
    task = asyncio.create_task(DoorRelay(gateway_client, queue, site).run(ready))
    await asyncio.wait_for(ready.wait(), 5)

    await sensor.publish(f"doors/{site}/d1/state", json.dumps({"state": "open"}), qos=1)
    await sensor.publish(f"doors/{site}/d1/state", json.dumps({"state": "closed"}), qos=1)
    await sensor.publish(f"doors/other-{site}/d1/state", json.dumps({"state": "open"}), qos=1)
    events = [await asyncio.wait_for(queue.get(), 5) for _ in range(2)]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert events == [DoorEvent(site, "d1", "open"), DoorEvent(site, "d1", "closed")]
    assert queue.empty()


@pytest.mark.asyncio
async def test_main_gives_each_site_its_own_client_id():
    with mock.patch.object(relay.aiomqtt, "Client") as client_cls, \
            mock.patch.object(DoorRelay, "run", autospec=True) as run:
        await relay.main("mqtt.building.local", 1883, "north", asyncio.Queue())

    client_cls.assert_called_once_with("mqtt.building.local", 1883, client_id="relayq-north")
    run.assert_awaited_once()
