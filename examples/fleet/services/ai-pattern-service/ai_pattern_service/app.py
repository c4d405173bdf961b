"""Detects daily usage patterns (an entity switched on at about the same time every day)."""
from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    entity_id: str
    day: int
    minute_of_day: int


@dataclass(frozen=True)
class Pattern:
    entity_id: str
    minute_of_day: int
    confidence: float


class HistoryStore:
    """Read side of the recorder database."""

    def __init__(self, observations: list[Observation]) -> None:
        self._observations = observations

    async def for_entity(self, entity_id: str) -> list[Observation]:
        await asyncio.sleep(0)
        return [o for o in self._observations if o.entity_id == entity_id]

    async def entities(self) -> list[str]:
        await asyncio.sleep(0)
        return sorted({o.entity_id for o in self._observations})


class PatternDetector:
    def __init__(self, store: HistoryStore, min_days: int = 3, max_spread_minutes: int = 30) -> None:
        self.store = store
        self.min_days = min_days
        self.max_spread = max_spread_minutes

    async def detect(self, entity_id: str) -> Pattern | None:
        observations = await self.store.for_entity(entity_id)
        days = {o.day for o in observations}
        if len(days) < self.min_days:
            return None
        minutes = [o.minute_of_day for o in observations]
        spread = statistics.pstdev(minutes)
        if spread > self.max_spread:
            return None
        confidence = round(1 - spread / self.max_spread, 2)
        return Pattern(entity_id, round(statistics.mean(minutes)), confidence)

    async def detect_all(self) -> list[Pattern]:
        entities = await self.store.entities()
        found = await asyncio.gather(*(self.detect(e) for e in entities))
        return [p for p in found if p is not None]
