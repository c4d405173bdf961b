"""Fans a request out to the AI backends and merges their answers (partial results on timeout)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

Backend = Callable[[str], Awaitable[dict]]


@dataclass
class Orchestrator:
    backends: dict[str, Backend]
    timeout: float = 0.1
    metrics: dict[str, int] = field(default_factory=lambda: {"calls": 0, "timeouts": 0, "errors": 0})

    async def analyse(self, text: str) -> dict[str, dict]:
        names = sorted(self.backends)
        results = await asyncio.gather(*(self._call(name, text) for name in names))
        return {name: result for name, result in zip(names, results) if result is not None}

    async def _call(self, name: str, text: str) -> dict | None:
        self.metrics["calls"] += 1
        try:
            return await asyncio.wait_for(self.backends[name](text), self.timeout)
        except asyncio.TimeoutError:
            self.metrics["timeouts"] += 1
        except ConnectionError:
            self.metrics["errors"] += 1
        return None
