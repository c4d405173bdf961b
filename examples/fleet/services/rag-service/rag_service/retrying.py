"""Embedding look-ups against the vector store, retried while it rebalances shards."""
from __future__ import annotations

import logging

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)


class VectorStoreUnavailable(ConnectionError):
    """The store answered 503 while rebalancing; worth retrying."""


class VectorStoreClient:
    """Stands in for the HTTP client: the first `failures` queries get a 503."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0

    def query(self, text: str) -> list[float]:
        self.calls += 1
        if self.calls <= self.failures:
            raise VectorStoreUnavailable(f"503 from vector store (call {self.calls})")
        return [float(len(text)), float(sum(map(ord, text)) % 97)]


@retry(
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.5, max=8),
    retry=retry_if_exception_type(VectorStoreUnavailable),
)
def fetch_embeddings(client: VectorStoreClient, text: str) -> list[float]:
    return client.query(text)


def embed(client: VectorStoreClient, text: str) -> tuple[list[float], int]:
    """The vector plus the attempts it took, which the ingestion dashboard plots."""
    vector = fetch_embeddings(client, text)
    attempts = fetch_embeddings.retry.statistics["attempt_number"]
    log.info("embedding fetched after %d attempt(s)", attempts)
    return vector, attempts
