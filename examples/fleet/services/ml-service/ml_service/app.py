"""Process-wide model registry: serving code waits until the model version it needs is published."""
from __future__ import annotations

import asyncio


class ModelRegistry:
    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._changed = asyncio.Condition()

    async def publish(self, name: str, version: int) -> None:
        async with self._changed:
            if version <= self._versions.get(name, 0):
                raise ValueError(f"{name} v{version} is not newer than v{self._versions[name]}")
            self._versions[name] = version
            self._changed.notify_all()

    async def wait_for(self, name: str, version: int, timeout: float) -> int:
        """Block until `name` reaches at least `version`; returns the version found."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self._versions.get(name, 0) >= version), timeout)
            return self._versions[name]

    def current(self, name: str) -> int | None:
        return self._versions.get(name)

    def clear(self) -> None:
        self._versions.clear()


# One registry per process, as in production: the web workers and the loader share it.
REGISTRY = ModelRegistry()
