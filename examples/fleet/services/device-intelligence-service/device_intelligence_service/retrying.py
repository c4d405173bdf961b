"""Probes devices for their capabilities; sleepy Zigbee devices often miss the first probe."""
from __future__ import annotations

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed


class DeviceOffline(OSError):
    """The device did not answer within the radio timeout."""


class ZigbeeTransport:
    """Stands in for the coordinator API: each device misses its first `misses[device]` probes."""

    def __init__(self, misses: dict[str, int] | None = None) -> None:
        self.misses = dict(misses or {})
        self.probes: dict[str, int] = {}

    async def read_capabilities(self, device_id: str) -> list[str]:
        self.probes[device_id] = self.probes.get(device_id, 0) + 1
        if self.probes[device_id] <= self.misses.get(device_id, 0):
            raise DeviceOffline(f"{device_id} did not answer")
        return ["on_off", "brightness"] if device_id.startswith("light.") else ["on_off"]


@retry(stop=stop_after_attempt(5), wait=wait_fixed(2), retry=retry_if_exception_type(DeviceOffline))
async def probe_device(transport: ZigbeeTransport, device_id: str) -> list[str]:
    return await transport.read_capabilities(device_id)


async def probe_with_metrics(transport: ZigbeeTransport, device_id: str, metrics: dict[str, int]) -> list[str]:
    """Records how many probes each device needed: a rising count flags a weak mesh route."""
    capabilities = await probe_device(transport, device_id)
    metrics[f"probe_attempts.{device_id}"] = probe_device.retry.statistics["attempt_number"]
    return capabilities
