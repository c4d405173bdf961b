"""Mines automation candidates (entity, state, hour) that recur in Home Assistant history."""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import AsyncIterator


@dataclass(frozen=True)
class Event:
    entity_id: str
    state: str
    hour: int


class EventSource:
    """Serves recorded events a page at a time, like the history API does."""

    def __init__(self, events: list[Event], page_size: int = 2) -> None:
        self._events = list(events)
        self._page_size = page_size
        self.pages_served = 0

    async def pages(self) -> AsyncIterator[list[Event]]:
        for start in range(0, len(self._events), self._page_size):
            await asyncio.sleep(0)  # a real source awaits the network here
            self.pages_served += 1
            yield self._events[start:start + self._page_size]


class AutomationMiner:
    def __init__(self, min_support: int = 2) -> None:
        self.min_support = min_support
        self._seen: Counter[tuple[str, str, int]] = Counter()

    async def ingest(self, source: EventSource) -> int:
        ingested = 0
        async for page in source.pages():
            for event in page:
                self._seen[(event.entity_id, event.state, event.hour)] += 1
                ingested += 1
        return ingested

    def candidates(self) -> list[tuple[str, str, int]]:
        return sorted(key for key, count in self._seen.items() if count >= self.min_support)

    def reset(self) -> None:
        self._seen.clear()
