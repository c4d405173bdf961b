import pytest

from device_intelligence_service.app import DeviceRegistry


@pytest.fixture
async def registry():
    registry = DeviceRegistry()
    await registry.register("kitchen", "hue-color")
    await registry.register("hall", "hue-white")
    await registry.register("front-door", "aqara-door")
    return registry
