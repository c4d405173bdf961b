"""Routes a question to the backend that can answer it, with a per-backend timeout."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Awaitable, Callable

Backend = Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class Route:
    name: str
    pattern: re.Pattern[str]
    backend: Backend


@dataclass(frozen=True)
class Answer:
    route: str
    text: str


class QueryRouter:
    def __init__(self, fallback: Backend, timeout: float = 0.5) -> None:
        self.fallback = fallback
        self.timeout = timeout
        self.routes: list[Route] = []

    def add_route(self, name: str, pattern: str, backend: Backend) -> None:
        self.routes.append(Route(name, re.compile(pattern, re.IGNORECASE), backend))

    async def ask(self, question: str) -> Answer:
        for route in self.routes:
            if route.pattern.search(question):
                try:
                    return Answer(route.name, await asyncio.wait_for(route.backend(question), self.timeout))
                except asyncio.TimeoutError:
                    break
        return Answer("fallback", await self.fallback(question))

    async def ask_many(self, questions: list[str]) -> list[Answer]:
        return list(await asyncio.gather(*(self.ask(q) for q in questions)))
