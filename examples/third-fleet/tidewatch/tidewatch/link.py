"""One MQTT session per tide gauge: levels out, calibration offsets in."""
from __future__ import annotations

import json

from asyncio_mqtt import Client, MqttError

LEVEL_TOPIC = "tides/{station}/level"
CALIBRATION_TOPIC = "tides/{station}/calibration"


class GaugeOffline(ConnectionError):
    """The harbour broker cannot be reached; the gauge buffers readings until it can."""


class GaugeLink:
    def __init__(self, host: str, port: int, station: str) -> None:
        self.station = station
        self.offset = 0.0
        self._client = Client(host, port, client_id=f"tidewatch-{station}")

    async def open(self) -> None:
        try:
            await self._client.connect(timeout=10)
        except MqttError as exc:
            raise GaugeOffline(f"gauge {self.station}: broker unreachable ({exc})") from exc
        await self._client.subscribe(CALIBRATION_TOPIC.format(station=self.station), qos=1)

    async def close(self) -> None:
        await self._client.disconnect()

    async def publish_level(self, metres: float) -> None:
        payload = json.dumps({"station": self.station, "level_m": round(metres + self.offset, 3)})
        await self._client.publish(LEVEL_TOPIC.format(station=self.station), payload, qos=1)

    async def follow_calibration(self, on_change=None) -> None:
        """Applies each offset the harbour office publishes; returns when the session ends."""
        async with self._client.messages() as messages:
            async for message in messages:
                self.offset = float(json.loads(message.payload)["offset_m"])
                if on_change is not None:
                    on_change(self.offset)
