"""Fetches quotes from a flaky source, retrying (tenacity 8)."""
from tenacity import retry, stop_after_attempt, wait_none
from tenacity._asyncio import AsyncRetrying


@retry(stop=stop_after_attempt(3), wait=wait_none(), reraise=True)
def fetch_quote(source):
    return source.get()


async def fetch_quote_async(source):
    async for attempt in AsyncRetrying(stop=stop_after_attempt(3), wait=wait_none(), reraise=True):
        with attempt:
            return await source.aget()


def attempts_of_last_fetch() -> int:
    return fetch_quote.retry.statistics.get("attempt_number", 0)
