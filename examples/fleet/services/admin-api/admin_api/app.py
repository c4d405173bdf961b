"""Admin settings store: versioned writes, optimistic concurrency and an audit trail."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass


class VersionConflict(Exception):
    pass


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    key: str
    old: object
    new: object


class SettingsStore:
    def __init__(self, defaults: dict[str, object]) -> None:
        self._values = dict(defaults)
        self._version = 0
        self.audit: list[AuditEntry] = []

    @property
    def version(self) -> int:
        return self._version

    async def get_all(self) -> tuple[int, dict[str, object]]:
        await asyncio.sleep(0)
        return self._version, dict(self._values)

    async def update(self, actor: str, expected_version: int, changes: dict[str, object]) -> int:
        await asyncio.sleep(0)  # the write goes to Postgres in production
        if expected_version != self._version:
            raise VersionConflict(f"expected v{expected_version}, store is at v{self._version}")
        unknown = set(changes) - set(self._values)
        if unknown:
            raise KeyError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for key, value in changes.items():
            if self._values[key] != value:
                self.audit.append(AuditEntry(actor, key, self._values[key], value))
                self._values[key] = value
        self._version += 1
        return self._version
