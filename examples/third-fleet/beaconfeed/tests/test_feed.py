import contextlib
import unittest
from types import SimpleNamespace
from unittest import mock
from unittest.mock import call

import pytest
from asyncio_mqtt import MqttError

from beaconfeed.feed import BeaconFeed, Sighting, parse


@contextlib.asynccontextmanager
async def stream_of(*messages):
    async def stream():
        for message in messages:
            yield message

    yield stream()


class ParseTest(unittest.TestCase):
    def test_the_gateway_comes_from_the_topic(self):
        self.assertEqual(parse("beacons/gw-3/seen", b'{"id": "b-9", "rssi": "-70"}'), Sighting("gw-3", "b-9", -70))


class FeedTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        patcher = mock.patch("beaconfeed.feed.asyncio_mqtt.Client")
        self.client_cls = patcher.start()
        self.addCleanup(patcher.stop)
        self.client = mock.MagicMock(name="client")
        self.client.subscribe = mock.AsyncMock()
        self.client_cls.return_value.__aenter__.return_value = self.client

    async def test_an_unreachable_broker_is_retried_then_raised(self):
        self.client_cls.return_value.__aenter__.side_effect = MqttError("[Errno 111] Connection refused")
        feed = BeaconFeed("gw.site.local", 1883, print, attempts=3, pause=0)

        with self.assertRaises(MqttError):
            await feed.run()

        self.assertEqual(feed.connections, 3)
        self.assertEqual(self.client_cls.call_args_list, [call("gw.site.local", 1883, client_id="beaconfeed")] * 3)

    @pytest.mark.manual_migration(
        reason="DBL002 (aiomqtt-2.4.0): the fake stream is handed to unfiltered_messages, which aiomqtt 2 removed")
    async def test_each_message_is_a_sighting(self):
        message = SimpleNamespace(topic="beacons/gw-1/seen", payload=b'{"id": "b-1", "rssi": -61}')
        self.client.unfiltered_messages.side_effect = lambda: stream_of(message)
        seen = []

        await BeaconFeed("gw.site.local", 1883, seen.append).run()

        self.assertEqual(seen, [Sighting("gw-1", "b-1", -61)])
        self.client.subscribe.assert_awaited_once_with("beacons/+/seen")
