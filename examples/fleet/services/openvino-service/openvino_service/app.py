"""Batches inference requests and runs the (blocking) model in a worker thread."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

Model = Callable[[Sequence[str]], list[float]]


def keyword_model(texts: Sequence[str]) -> list[float]:
    """Stand-in for the OpenVINO model: blocking, one score per text."""
    return [round(min(1.0, sum(word in t.lower() for word in ("alarm", "leak", "smoke")) / 2), 2) for t in texts]


class InferenceServer:
    def __init__(self, model: Model, loop: asyncio.AbstractEventLoop, max_batch: int = 4) -> None:
        self.model = model
        self.loop = loop
        self.max_batch = max_batch
        self.batches: list[int] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openvino")

    async def score(self, texts: Sequence[str]) -> list[float]:
        scores: list[float] = []
        for start in range(0, len(texts), self.max_batch):
            batch = list(texts[start:start + self.max_batch])
            self.batches.append(len(batch))
            scores += await self.loop.run_in_executor(self._executor, self.model, batch)
        return scores

    async def close(self) -> None:
        await self.loop.run_in_executor(None, self._executor.shutdown)
