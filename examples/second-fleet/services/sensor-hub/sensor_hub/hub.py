import asyncio

from asyncio_mqtt import Client

TOPIC = "home/+/temperature"


class SensorHub:
    def __init__(self, host, port, sink):
        self.host = host
        self.port = port
        self.sink = sink
        self.ready = asyncio.Event()

    def last_save_attempts(self):
        return self.sink.save.retry.statistics["attempt_number"]

    async def run(self, limit):
        async with Client(self.host, self.port, client_id="sensor-hub") as client:
            async with client.messages() as messages:
                await client.subscribe(TOPIC)
                self.ready.set()

                async def drain():
                    stored = 0
                    async for message in messages:
                        self.sink.save(message.topic.value, float(message.payload))
                        stored += 1
                        if stored == limit:
                            return stored

                return await drain()
