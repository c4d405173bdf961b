"""Mines usage patterns from the event history, retrying the history query when it times out."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tenacity import retry_if_exception_type, stop_after_attempt, wait_exponential
from tenacity._asyncio import AsyncRetrying

HISTORY_WAIT = wait_exponential(multiplier=0.2, max=5)


class EventHistory:
    """Stands in for the history API client: the first `timeouts` fetches time out."""

    def __init__(self, events: list[str], timeouts: int = 0) -> None:
        self.events = events
        self.timeouts = timeouts
        self.calls = 0

    async def fetch_events(self) -> list[str]:
        self.calls += 1
        if self.calls <= self.timeouts:
            raise TimeoutError(f"history query timed out (call {self.calls})")
        return list(self.events)


@dataclass(frozen=True)
class PatternReport:
    top: list[tuple[str, int]]
    attempts: int


async def mine_patterns(history: EventHistory, *, top: int = 2, wait=HISTORY_WAIT) -> PatternReport:
    retrying = AsyncRetrying(
        stop=stop_after_attempt(3), wait=wait, retry=retry_if_exception_type(TimeoutError), reraise=True
    )
    async for attempt in retrying:
        with attempt:
            events = await history.fetch_events()
    return PatternReport(top=Counter(events).most_common(top), attempts=retrying.statistics["attempt_number"])
