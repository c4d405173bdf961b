"""Read API over device readings: filtering and cursor pagination."""
from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    reading_id: int
    device_id: str
    value: float


@dataclass(frozen=True)
class Page:
    items: list[Reading]
    next_cursor: str | None


def _encode(reading_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": reading_id}).encode()).decode()


def _decode(cursor: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"invalid cursor: {cursor!r}") from error


class ReadingRepository:
    def __init__(self) -> None:
        self._rows: list[Reading] = []

    async def insert_many(self, readings: list[Reading]) -> int:
        await asyncio.sleep(0)
        self._rows.extend(readings)
        self._rows.sort(key=lambda r: r.reading_id)
        return len(readings)

    async def page(self, device_id: str | None = None, limit: int = 2, cursor: str | None = None) -> Page:
        after = _decode(cursor) if cursor else -1
        await asyncio.sleep(0)
        matching = [r for r in self._rows if r.reading_id > after and (device_id is None or r.device_id == device_id)]
        items = matching[:limit]
        more = len(matching) > limit
        return Page(items, _encode(items[-1].reading_id) if more else None)

    async def truncate(self) -> None:
        self._rows.clear()
