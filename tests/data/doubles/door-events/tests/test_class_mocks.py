"""A method mocked on the client class itself by plain assignment (in a fixture that puts the original back), and
the expectation read through the fixture and through the class."""
from unittest.mock import AsyncMock

import asyncio_mqtt
import pytest

from door_events.listener import DoorListener


@pytest.fixture
def disconnect():
    original = asyncio_mqtt.Client.disconnect
    asyncio_mqtt.Client.disconnect = AsyncMock()
    yield asyncio_mqtt.Client.disconnect
    asyncio_mqtt.Client.disconnect = original


async def test_stop_is_awaited_on_the_class(disconnect):
    listener = DoorListener("broker.local", 1883)
    listener.client = asyncio_mqtt.Client("broker.local", 1883)
    await listener.stop()
    disconnect.assert_awaited_once_with()
    asyncio_mqtt.Client.disconnect.assert_awaited_once_with()
