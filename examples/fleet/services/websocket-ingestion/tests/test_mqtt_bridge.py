"""Temperature ingestion against a real broker (see mqtt_broker.py)."""
import asyncio

import pytest
from asyncio_mqtt import Client

import mqtt_broker
from websocket_ingestion.mqtt_bridge import TemperatureIngestor, TemperatureReading

TIMEOUT = 5.0


async def started(coroutine, subscribed):
    """Runs the bridge until it has subscribed; if it dies first, its own error fails the test."""
    task = asyncio.create_task(coroutine)
    ready = asyncio.create_task(subscribed.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    if ready not in done:
        ready.cancel()
        task.cancel()
        pytest.fail(f"the bridge did not subscribe within {TIMEOUT}s")
    return task


async def stopped(task):
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.fixture(scope="session")
def broker():
    with mqtt_broker.broker_for_tests() as address:
        yield address


@pytest.fixture
def readings():
    return asyncio.Queue()


@pytest.fixture
async def ingestor(broker, readings):
    ingestor = TemperatureIngestor(broker.host, broker.port, readings.put, client_id="ingestion-test")
    task = await started(ingestor.run_forever(), ingestor.subscribed)
    # A crashed ingestor ends the wait for the next reading with its own error instead of a timeout.
    task.add_done_callback(lambda done: done.cancelled() or readings.put_nowait(done))
    yield ingestor
    await stopped(task)


@pytest.fixture
async def sensors(broker):
    async with Client(broker.host, broker.port, client_id="sensor-simulator") as client:
        yield client


async def next_reading(readings):
    reading = await asyncio.wait_for(readings.get(), TIMEOUT)
    if isinstance(reading, asyncio.Task):
        reading.result()
    return reading


async def test_room_temperature_is_ingested(ingestor, sensors, readings):
    await sensors.publish("sensors/kitchen/temp", "21.5", qos=1)

    assert await next_reading(readings) == TemperatureReading(room="kitchen", celsius=21.5, outdoor=False)


async def test_outdoor_sensor_is_marked_outdoor(ingestor, sensors, readings):
    await sensors.publish("sensors/outdoor/temp", "-3.25", qos=1)

    assert await next_reading(readings) == TemperatureReading(room="outdoor", celsius=-3.25, outdoor=True)


async def test_other_sensor_topics_are_ignored(ingestor, sensors, readings):
    await sensors.publish("sensors/kitchen/humidity", "48", qos=1)
    await sensors.publish("sensors/kitchen/battery", "97", qos=1)
    await sensors.publish("sensors/hall/temp", "19", qos=1)

    assert await next_reading(readings) == TemperatureReading(room="hall", celsius=19.0, outdoor=False)
    assert readings.empty()


async def test_unreadable_payload_is_rejected_and_feed_continues(ingestor, sensors, readings):
    await sensors.publish("sensors/attic/temp", "n/a", qos=1)
    await sensors.publish("sensors/attic/temp", "12.0", qos=1)

    assert await next_reading(readings) == TemperatureReading(room="attic", celsius=12.0, outdoor=False)
    assert ingestor.rejected == ["sensors/attic/temp"]


async def test_unreachable_broker_is_retried(readings):
    closed_port = mqtt_broker.free_loopback_port()
    ingestor = TemperatureIngestor("127.0.0.1", closed_port, readings.put, reconnect_interval=0.05)
    task = asyncio.create_task(ingestor.run_forever())
    await asyncio.sleep(0.5)

    assert not task.done(), "a refused connection must not end the ingestion"
    assert ingestor.disconnects >= 2
    await stopped(task)
