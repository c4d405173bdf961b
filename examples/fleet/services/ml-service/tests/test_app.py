import asyncio

import pytest


async def test_waiter_is_woken_by_publish(registry):
    waiter = asyncio.create_task(registry.wait_for("occupancy", 3, timeout=1))
    await asyncio.sleep(0)
    await registry.publish("occupancy", 3)
    assert await waiter == 3


async def test_second_waiter_uses_the_same_registry(registry):
    waiter = asyncio.create_task(registry.wait_for("energy-forecast", 1, timeout=1))
    await asyncio.sleep(0)
    await registry.publish("energy-forecast", 1)
    assert await waiter == 1


async def test_already_published_version_returns_at_once(registry):
    await registry.publish("anomaly", 2)
    assert await registry.wait_for("anomaly", 1, timeout=0.1) == 2


async def test_old_version_is_rejected(registry):
    await registry.publish("anomaly", 2)
    with pytest.raises(ValueError, match="not newer"):
        await registry.publish("anomaly", 1)


async def test_missing_version_times_out(registry):
    with pytest.raises(asyncio.TimeoutError):
        await registry.wait_for("never", 1, timeout=0.01)
