import asyncio
import json
import unittest
import uuid

import asyncio_mqtt

from beaconfeed.feed import BeaconFeed, Sighting
from tests import broker


def tearDownModule():
    broker.stop()


class FeedAgainstBrokerTest(unittest.IsolatedAsyncioTestCase):
    async def test_sightings_of_a_gateway_arrive_in_order(self):
        host, port = broker.address()
        gateway = "gw-" + uuid.uuid4().hex[:8]
        seen, subscribed = [], asyncio.Event()
        feed = BeaconFeed(host, port, lambda s: seen.append(s) if s.gateway == gateway else None)
        task = asyncio.create_task(feed.run(subscribed))
        try:
            await asyncio.wait_for(subscribed.wait(), 5)
            async with asyncio_mqtt.Client(host, port) as publisher:
                for rssi in (-80, -72):
                    await publisher.publish(f"beacons/{gateway}/seen", json.dumps({"id": "b-7", "rssi": rssi}), qos=1)
            for _ in range(100):
                if len(seen) == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        self.assertEqual(seen, [Sighting(gateway, "b-7", -80), Sighting(gateway, "b-7", -72)])
