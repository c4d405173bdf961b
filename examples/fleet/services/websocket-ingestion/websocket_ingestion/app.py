"""Ingests state-change messages from the Home Assistant websocket and writes them in batches."""
from __future__ import annotations

import asyncio
import json
from typing import Awaitable, Callable

Writer = Callable[[list[dict]], Awaitable[None]]


class IngestionPipeline:
    """Parses raw websocket frames into points; flushes a batch when full or when `flush_interval` passes."""

    def __init__(self, writer: Writer, batch_size: int = 3, flush_interval: float = 0.05) -> None:
        self.writer = writer
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.rejected: list[str] = []
        self._queue: asyncio.Queue[dict | None] = asyncio.Queue()

    def feed(self, frame: str) -> None:
        try:
            message = json.loads(frame)
            data = message["event"]["data"]
            point = {"entity_id": data["entity_id"], "state": data["new_state"]["state"]}
        except (ValueError, KeyError, TypeError):
            self.rejected.append(frame)
            return
        self._queue.put_nowait(point)

    async def stop(self) -> None:
        await self._queue.put(None)

    async def run(self) -> int:
        written, batch = 0, []
        while True:
            try:
                point = await asyncio.wait_for(self._queue.get(), self.flush_interval)
            except asyncio.TimeoutError:
                point = {}
            if point:
                batch.append(point)
            if batch and (point is None or not point or len(batch) >= self.batch_size):
                await self.writer(batch)
                written, batch = written + len(batch), []
            if point is None:
                return written
