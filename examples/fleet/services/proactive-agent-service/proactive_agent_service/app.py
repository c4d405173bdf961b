"""Schedules proactive suggestions ("close the garage?") and delivers them when due."""
from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field


@dataclass(order=True)
class Suggestion:
    due: float
    seq: int
    text: str = field(compare=False)
    user: str = field(compare=False)


class Clock:
    """Injectable time source so tests never sleep for real."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SuggestionScheduler:
    def __init__(self, clock: Clock, quiet_users: set[str] | None = None) -> None:
        self.clock = clock
        self.quiet_users = quiet_users or set()
        self._queue: list[Suggestion] = []
        self._seq = itertools.count()
        self.delivered: list[Suggestion] = []

    def schedule(self, text: str, user: str, delay: float) -> Suggestion:
        suggestion = Suggestion(self.clock.now + delay, next(self._seq), text, user)
        heapq.heappush(self._queue, suggestion)
        return suggestion

    async def deliver_due(self) -> list[Suggestion]:
        sent = []
        while self._queue and self._queue[0].due <= self.clock.now:
            suggestion = heapq.heappop(self._queue)
            if suggestion.user in self.quiet_users:
                continue
            await asyncio.sleep(0)  # push notification round trip
            sent.append(suggestion)
        self.delivered += sent
        return sent

    @property
    def pending(self) -> int:
        return len(self._queue)
