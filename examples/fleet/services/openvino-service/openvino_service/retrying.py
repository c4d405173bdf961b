"""Loads compiled models from the model cache; the cache volume is often still mounting at start-up."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

log = logging.getLogger(__name__)


class ModelCacheNotReady(FileNotFoundError):
    """The model cache volume is not mounted yet."""


class ModelCache:
    """Stands in for the cache volume: not ready for the first `not_ready_for` reads."""

    def __init__(self, models: dict[str, bytes], not_ready_for: int = 0) -> None:
        self.models = models
        self.not_ready_for = not_ready_for
        self.reads = 0

    def read(self, name: str) -> bytes:
        self.reads += 1
        if self.reads <= self.not_ready_for:
            raise ModelCacheNotReady(f"/models/{name}.xml: volume not mounted")
        return self.models[name]


@dataclass(frozen=True)
class LoadedModel:
    name: str
    size: int
    load_attempts: int


@retry(
    stop=stop_after_attempt(4),
    # The 2 s floor keeps us from hammering the CSI driver while the volume attaches.
    wait=wait_random_exponential(multiplier=1, min=2, max=30),
    retry=retry_if_exception_type(ModelCacheNotReady),
)
def read_model(cache: ModelCache, name: str) -> bytes:
    return cache.read(name)


def load_model(cache: ModelCache, name: str) -> LoadedModel:
    blob = read_model(cache, name)
    attempts = read_model.retry.statistics["attempt_number"]
    log.info("model %s loaded after %d attempt(s)", name, attempts)
    return LoadedModel(name=name, size=len(blob), load_attempts=attempts)


async def warm_up(cache: ModelCache, names: list[str]) -> list[LoadedModel]:
    """Loads off the event loop so health checks keep answering during a slow mount."""
    return [await asyncio.to_thread(load_model, cache, name) for name in names]
