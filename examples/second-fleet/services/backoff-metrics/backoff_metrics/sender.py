from tenacity import retry, stop_after_attempt, wait_fixed, wait_random_exponential
from tenacity._asyncio import AsyncRetrying

from .metrics import counted


class Unavailable(Exception):
    pass


@retry(stop=stop_after_attempt(3), wait=counted("send_batch", wait_fixed(0)), reraise=True)
def send_batch(sink, batch):
    return sink(batch)


async def send_batch_async(sink, batch):
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(3),
        wait=wait_random_exponential(multiplier=0.001, min=0.001, max=0.005),
        reraise=True,
    ):
        with attempt:
            return await sink(batch)
