"""Live scores with a short-lived cache in front of the upstream sports feed."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Score:
    game_id: str
    home: int
    away: int
    final: bool = False


Fetch = Callable[[str], Awaitable[Score]]


class ScoreCache:
    """Live games are cached for `ttl` seconds; final scores forever. Concurrent misses share one fetch."""

    def __init__(self, fetch: Fetch, clock: Callable[[], float], ttl: float = 30.0) -> None:
        self.fetch = fetch
        self.clock = clock
        self.ttl = ttl
        self._entries: dict[str, tuple[Score, float]] = {}
        self._inflight: dict[str, asyncio.Task[Score]] = {}

    async def get(self, game_id: str) -> Score:
        entry = self._entries.get(game_id)
        if entry and (entry[0].final or self.clock() - entry[1] < self.ttl):
            return entry[0]
        task = self._inflight.get(game_id)
        if task is None:
            task = asyncio.ensure_future(self.fetch(game_id))
            self._inflight[game_id] = task
        try:
            score = await task
        finally:
            self._inflight.pop(game_id, None)
        self._entries[game_id] = (score, self.clock())
        return score
