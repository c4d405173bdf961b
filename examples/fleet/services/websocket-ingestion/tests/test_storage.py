import asyncio

import pytest
from influx_server import InfluxCaptureServer

from websocket_ingestion.storage import StateWriter


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
async def state_writer(influx):
    writer = StateWriter(url=influx.url)
    yield writer
    await asyncio.to_thread(writer.close)


async def test_batch_is_written_as_points(influx, state_writer):
    await state_writer([
        {"entity_id": "sensor.living_room_temperature", "state": "21.5"},
        {"entity_id": "light.kitchen", "state": "on"},
    ])

    (write,) = influx.writes()
    assert write.params["bucket"] == "home_assistant_states"
    assert influx.lines() == [  # no timestamp: the server stamps state changes on arrival
        "ha_state,domain=sensor,entity=living_room_temperature value=21.5",
        'ha_state,domain=light,entity=kitchen state="on"',
    ]


async def test_rejected_batch_is_counted_and_dropped(influx, state_writer):
    influx.reject_writes(400, "schema conflict")

    await state_writer([{"entity_id": "light.kitchen", "state": "off"}])

    assert state_writer.failed_batches == 1
