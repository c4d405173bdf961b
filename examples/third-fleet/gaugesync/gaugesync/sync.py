"""Latest reading per gauge, pulled from the agency's API (which rate-limits bursts)."""
from __future__ import annotations

import asyncio

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_none
from tenacity._asyncio import AsyncRetrying


class UpstreamBusy(Exception):
    """The agency answered 429; a retry right away usually goes through."""


class GaugeSync:
    def __init__(self, fetch, gauges):
        self._fetch = fetch
        self._gauges = list(gauges)
        self.latest = {}

    @retry(stop=stop_after_attempt(3), wait=wait_none(), retry=retry_if_exception_type(UpstreamBusy), reraise=True)
    async def pull(self, gauge):
        reading = await self._fetch(gauge)
        self.latest[gauge] = reading
        return reading

    def pull_attempts(self):
        return self.pull.retry.statistics.get("attempt_number", 0)

    async def pull_all(self):
        """Every gauge; the whole round is tried twice when a gauge stays busy."""
        async for attempt in AsyncRetrying(stop=stop_after_attempt(2), reraise=True):
            with attempt:
                for gauge in self._gauges:
                    await self.pull(gauge)
        return dict(self.latest)
