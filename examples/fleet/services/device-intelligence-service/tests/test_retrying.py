import pytest
from tenacity import RetryError, wait_none

from device_intelligence_service.retrying import DeviceOffline, ZigbeeTransport, probe_device, probe_with_metrics


@pytest.fixture(autouse=True)
def no_backoff():
    saved = probe_device.retry.wait
    probe_device.retry.wait = wait_none()
    yield
    probe_device.retry.wait = saved


async def test_records_probe_attempts_per_device():
    transport = ZigbeeTransport(misses={"light.kitchen": 2})
    metrics = {}
    assert await probe_with_metrics(transport, "light.kitchen", metrics) == ["on_off", "brightness"]
    assert await probe_with_metrics(transport, "switch.fan", metrics) == ["on_off"]
    assert metrics == {"probe_attempts.light.kitchen": 3, "probe_attempts.switch.fan": 1}


async def test_unreachable_device_raises_retry_error():
    transport = ZigbeeTransport(misses={"sensor.attic": 99})
    with pytest.raises(RetryError) as info:
        await probe_device(transport, "sensor.attic")
    assert isinstance(info.value.last_attempt.exception(), DeviceOffline)
    assert transport.probes["sensor.attic"] == 5
