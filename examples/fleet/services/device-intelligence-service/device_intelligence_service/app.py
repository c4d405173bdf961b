"""Keeps a registry of devices and what they can do, probing new devices for capabilities."""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field


@dataclass
class Device:
    device_id: str
    model: str
    capabilities: set[str] = field(default_factory=set)


KNOWN_MODELS = {
    "hue-white": {"on_off", "brightness"},
    "hue-color": {"on_off", "brightness", "color"},
    "aqara-door": {"contact", "battery"},
}


def fingerprint_firmware(blob: bytes) -> str:
    """Hashing firmware images is CPU-bound: callers run it in an executor."""
    return hashlib.sha256(blob).hexdigest()[:12]


class DeviceRegistry:
    def __init__(self) -> None:
        self._devices: dict[str, Device] = {}
        self._lock = asyncio.Lock()

    async def register(self, device_id: str, model: str) -> Device:
        async with self._lock:
            device = self._devices.setdefault(device_id, Device(device_id, model))
        device.capabilities = await self.probe(model)
        return device

    async def probe(self, model: str) -> set[str]:
        await asyncio.sleep(0)  # the real probe queries the device over Zigbee
        return set(KNOWN_MODELS.get(model, {"on_off"}))

    async def with_capability(self, capability: str) -> list[str]:
        async with self._lock:
            return sorted(d.device_id for d in self._devices.values() if capability in d.capabilities)

    def __contains__(self, device_id: str) -> bool:
        return device_id in self._devices
