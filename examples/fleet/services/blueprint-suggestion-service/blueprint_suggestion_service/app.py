"""Suggests blueprints for a home by scoring them against the devices it has."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Candidate:
    slug: str
    needs: frozenset[str]  # device classes the blueprint requires
    popularity: int


@dataclass(frozen=True)
class Suggestion:
    slug: str
    score: float


DeviceLookup = Callable[[str], Awaitable[set[str]]]


class SuggestionRanker:
    def __init__(self, devices_of: DeviceLookup, catalog: list[Candidate]) -> None:
        self.devices_of = devices_of
        self.catalog = catalog

    async def suggest(self, home_id: str, limit: int = 3, dismissed: set[str] | None = None) -> list[Suggestion]:
        have = await self.devices_of(home_id)
        dismissed = dismissed or set()
        scored = []
        for candidate in self.catalog:
            if candidate.slug in dismissed or not candidate.needs <= have:
                continue
            scored.append(Suggestion(candidate.slug, round(candidate.popularity / (1 + len(candidate.needs)), 2)))
        scored.sort(key=lambda s: (-s.score, s.slug))
        return scored[:limit]

    async def suggest_for_homes(self, home_ids: list[str]) -> dict[str, list[str]]:
        results = await asyncio.gather(*(self.suggest(h) for h in home_ids))
        return {h: [s.slug for s in r] for h, r in zip(home_ids, results)}
