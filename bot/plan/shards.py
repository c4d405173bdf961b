"""Splitting a run across GitHub Actions jobs: a bounded number of shards, each service in exactly one.

A service's shard depends only on its path and the shard count, so shards never share a job (never open
the same PR twice) and a service stays in its shard from run to run. Pure."""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Sequence

from bot.errors import ConfigError
from bot.plan.jobs import Job

MAX_SHARDS = 8  # with max-parallel in the workflow, this bounds concurrent API clients
SERVICES_PER_SHARD = 50  # below this a shard costs more in runner start-up than it saves


@dataclass(frozen=True)
class Shard:
    """One shard of a sharded run (`--shard I/N`): the services it owns."""

    index: int  # 1-based, as typed: --shard 2/4
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, service_path: str) -> bool:
        return shard_of(service_path, self.count) == self.index

    def quota(self, limit: int) -> int:
        """This shard's part of a per-run limit, so that the shards together open at most `limit`."""
        return limit // self.count + (1 if self.index <= limit % self.count else 0)


def parse_shard(text: str) -> Shard:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ConfigError("--shard", "", f"{text!r} is not I/N with 1 <= I <= N (e.g. 2/4)")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_of(service_path: str, count: int) -> int:
    digest = hashlib.sha256(service_path.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def shard_count(services: int, max_shards: int = MAX_SHARDS) -> int:
    return max(1, min(max_shards, math.ceil(services / SERVICES_PER_SHARD)))


def matrix(jobs: Sequence[Job], max_shards: int = MAX_SHARDS) -> dict:
    """The `strategy.matrix` for the workflow; never empty (one shard when there is nothing to do)."""
    services = sorted({job.service.path for job in jobs})
    count = shard_count(len(services), max_shards)
    sizes = {i: 0 for i in range(1, count + 1)}
    for path in services:
        sizes[shard_of(path, count)] += 1
    return {"include": [{"shard": f"{i}/{count}", "services": sizes[i]} for i in range(1, count + 1)]}
