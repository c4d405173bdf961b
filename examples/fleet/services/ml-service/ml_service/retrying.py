"""Downloads training datasets and uploads checkpoints to object storage, both over a flaky link."""
from __future__ import annotations

import hashlib

from tenacity import (
    DoSleep,
    RetryCallState,
    Retrying,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_fixed,
    wait_random_exponential,
)


class StorageTimeout(TimeoutError):
    """Object storage did not answer in time."""


class ObjectStore:
    """Stands in for the S3 client: the first `timeouts` requests time out."""

    def __init__(self, objects: dict[str, bytes] | None = None, timeouts: int = 0) -> None:
        self.objects = dict(objects or {})
        self.timeouts = timeouts
        self.requests = 0

    def _request(self) -> None:
        self.requests += 1
        if self.requests <= self.timeouts:
            raise StorageTimeout(f"request {self.requests} timed out")

    def get(self, key: str) -> bytes:
        self._request()
        return self.objects[key]

    def put(self, key: str, data: bytes) -> None:
        self._request()
        self.objects[key] = data


@retry(
    stop=stop_after_attempt(5),
    wait=wait_random_exponential(multiplier=0.5, max=8),
    retry=retry_if_exception_type(StorageTimeout),
)
def download_dataset(store: ObjectStore, key: str) -> bytes:
    return store.get(key)


def dataset_manifest(store: ObjectStore, key: str) -> dict:
    data = download_dataset(store, key)
    return {
        "key": key,
        "sha256": hashlib.sha256(data).hexdigest()[:12],
        "download_attempts": download_dataset.retry.statistics["attempt_number"],
    }


class AuditedRetrying(Retrying):
    """Keeps an audit line per scheduled sleep; the lines are attached to the training run."""

    def __init__(self, *args, audit: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit

    def iter(self, retry_state: RetryCallState):
        action = super().iter(retry_state)
        if isinstance(action, DoSleep):
            self.audit.append(f"attempt {retry_state.attempt_number} failed, retrying in {float(action):.1f}s")
        return action


def upload_checkpoint(store: ObjectStore, key: str, data: bytes, audit: list[str], wait=wait_fixed(3)) -> int:
    """Returns the attempts the upload took."""
    retrying = AuditedRetrying(stop=stop_after_attempt(3), wait=wait, audit=audit, reraise=True,
                               retry=retry_if_exception_type(StorageTimeout))
    for attempt in retrying:
        with attempt:
            store.put(key, data)
    return retrying.statistics["attempt_number"]
