"""Simulates Home Assistant entities: state changes are published to async subscribers."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StateChanged:
    entity_id: str
    old: str | None
    new: str


@dataclass
class Simulator:
    states: dict[str, str] = field(default_factory=dict)
    _subscribers: list[asyncio.Queue[StateChanged]] = field(default_factory=list)

    def subscribe(self) -> asyncio.Queue[StateChanged]:
        queue: asyncio.Queue[StateChanged] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    async def set_state(self, entity_id: str, new: str) -> None:
        old = self.states.get(entity_id)
        if old == new:
            return
        self.states[entity_id] = new
        for queue in self._subscribers:
            await queue.put(StateChanged(entity_id, old, new))

    async def replay(self, script: list[tuple[str, str]], step: float = 0.0) -> int:
        for entity_id, state in script:
            await self.set_state(entity_id, state)
            await asyncio.sleep(step)
        return len(script)


def render_floorplan(states: dict[str, str]) -> str:
    """CPU-bound and blocking (the real one rasterises an SVG): run it off the event loop."""
    time.sleep(0.001)
    return "\n".join(f"{entity}={state}" for entity, state in sorted(states.items()))
