"""Applies retention policies: which measurement buckets lose data older than N days."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Policy:
    bucket: str
    keep_days: int


@dataclass(frozen=True)
class PurgeResult:
    bucket: str
    cutoff: datetime
    deleted: int


DeleteBefore = Callable[[str, datetime], Awaitable[int]]


class RetentionPlanner:
    def __init__(self, policies: list[Policy], delete_before: DeleteBefore, dry_run: bool = False) -> None:
        self.policies = policies
        self.delete_before = delete_before
        self.dry_run = dry_run

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        return {p.bucket: now - timedelta(days=p.keep_days) for p in self.policies}

    async def run(self, now: datetime, concurrency: int = 2) -> list[PurgeResult]:
        semaphore = asyncio.Semaphore(concurrency)

        async def purge(bucket: str, cutoff: datetime) -> PurgeResult:
            async with semaphore:
                deleted = 0 if self.dry_run else await self.delete_before(bucket, cutoff)
                return PurgeResult(bucket, cutoff, deleted)

        return list(await asyncio.gather(*(purge(b, c) for b, c in sorted(self.cutoffs(now).items()))))
