"""Weather lookups: resolves a place to a station once, then serves observations."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    station: str
    temperature_c: float
    humidity: int


class StationDirectory:
    """Place name -> station id. Loading it is slow, so it is shared between tests."""

    def __init__(self) -> None:
        self._stations: dict[str, str] = {}

    async def load(self, rows: list[tuple[str, str]]) -> None:
        for place, station in rows:
            await asyncio.sleep(0)
            self._stations[place.lower()] = station

    def station_for(self, place: str) -> str | None:
        return self._stations.get(place.strip().lower())


class WeatherService:
    def __init__(self, directory: StationDirectory, upstream: dict[str, Observation]) -> None:
        self.directory = directory
        self.upstream = upstream
        self.upstream_calls = 0

    async def current(self, place: str) -> Observation:
        station = self.directory.station_for(place)
        if station is None:
            raise LookupError(f"no station near {place!r}")
        self.upstream_calls += 1
        await asyncio.sleep(0)
        return self.upstream[station]

    async def feels_like(self, place: str) -> float:
        obs = await self.current(place)
        # Simplified humidex-style correction: humid air feels warmer above 20 C.
        bump = (obs.humidity - 40) / 10 if obs.temperature_c > 20 and obs.humidity > 40 else 0
        return round(obs.temperature_c + bump, 1)
