"""The link against a real broker."""
import asyncio
import json

from tidewatch import GaugeLink


async def test_a_level_reaches_the_harbour_office(broker, office, station):
    link = GaugeLink(broker.host, broker.port, station)
    await link.open()
    try:
        async with office.messages() as messages:
            await office.subscribe(f"tides/{station}/level", qos=1)
            await link.publish_level(1.5)
            async for message in messages:
                received = json.loads(message.payload)
                break
    finally:
        await link.close()

    assert received == {"station": station, "level_m": 1.5}


async def test_the_office_recalibrates_a_running_gauge(broker, office, station):
    link = GaugeLink(broker.host, broker.port, station)
    await link.open()
    changed = asyncio.Event()
    follower = asyncio.create_task(link.follow_calibration(lambda offset: changed.set()))
    try:
        for _ in range(50):  # the follower may not be listening yet: the office repeats until it is
            await office.publish(f"tides/{station}/calibration", json.dumps({"offset_m": -0.04}), qos=1)
            try:
                await asyncio.wait_for(changed.wait(), 0.1)
                break
            except asyncio.TimeoutError:
                pass
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await link.close()

    assert link.offset == -0.04
