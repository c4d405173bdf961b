import asyncio

from device_intelligence_service.app import DeviceRegistry, fingerprint_firmware


async def test_known_model_capabilities(registry):
    assert await registry.with_capability("color") == ["kitchen"]
    assert await registry.with_capability("brightness") == ["hall", "kitchen"]


async def test_unknown_model_defaults_to_on_off():
    registry = DeviceRegistry()
    device = await registry.register("plug", "no-name-plug")
    assert device.capabilities == {"on_off"}


async def test_concurrent_registration_keeps_one_entry(registry):
    await asyncio.gather(*(registry.register("garage", "hue-white") for _ in range(5)))
    assert await registry.with_capability("on_off") == ["garage", "hall", "kitchen"]


async def test_firmware_fingerprint_off_the_loop(event_loop):
    digest = await event_loop.run_in_executor(None, fingerprint_firmware, b"\x00firmware-1.2.3")
    assert len(digest) == 12
    assert digest == fingerprint_firmware(b"\x00firmware-1.2.3")


def test_membership():
    registry = DeviceRegistry()
    assert "kitchen" not in registry
