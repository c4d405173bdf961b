"""Listens for door sensor events on MQTT (asyncio-mqtt 0.16)."""
import asyncio_mqtt

TOPIC = "doors/+/state"


class DoorListener:
    def __init__(self, host: str, port: int, name: str = "door-listener") -> None:
        self.host, self.port, self.name = host, port, name
        self.client = None
        self.events: list[tuple[str, str]] = []

    async def start(self) -> None:
        self.client = asyncio_mqtt.Client(self.host, self.port, client_id=self.name)
        await self.client.connect()
        await self.client.subscribe(TOPIC)

    async def listen(self, count: int) -> list[tuple[str, str]]:
        async with self.client.unfiltered_messages() as messages:
            async for message in messages:
                self.events.append((str(message.topic), message.payload.decode()))
                if len(self.events) >= count:
                    break
        return self.events

    async def stop(self) -> None:
        await self.client.disconnect()
