"""Jobs' results kept in job order while their branches wait to be pushed together.

A push costs a process and a round trip whatever its number of branches, so a run's publications are
pushed in batches: up to PUSH_BATCH of them, or for up to PUSH_WAIT_SECONDS (when each job is slow, as with
checks, each goes on its own). Results are reported in job order, so the PRs open in the same order and
get the same numbers as when every job was pushed alone."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from bot.change.apply import ServiceChange
from bot.forge.base import PullRequest
from bot.plan.jobs import Job
from bot.publish.pr_content import Validation
from bot.publish.render import Body

PUSH_BATCH = 64
PUSH_WAIT_SECONDS = 5.0

Result = TypeVar("Result")


@dataclass
class Publication:
    """A job whose commit is made and checked: what its push and its PR need."""
    job: Job
    pr: PullRequest | None
    change: ServiceChange
    head: str
    remote_sha: str | None  # the lease: where the branch was when this run looked
    body: Body
    validation: Validation | None
    push: bool  # False: the branch already holds head


class PublishBatch(Generic[Result]):
    """publish(publications) -> their results, in order; report(result) is called once per job, in order."""

    def __init__(self, publish: Callable[[list[Publication]], list[Result]], report: Callable[[Result], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._publish, self._report, self._clock = publish, report, clock
        self._pending: list[Result | Publication] = []
        self._waiting = 0
        self._since = 0.0  # when the oldest waiting publication was ready

    def add(self, item: Result | Publication) -> None:
        self._pending.append(item)
        if isinstance(item, Publication):
            self._since = self._since if self._waiting else self._clock()
            self._waiting += 1
        if not self._waiting or self._waiting >= PUSH_BATCH or self._clock() - self._since >= PUSH_WAIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        published = iter(self._publish([p for p in self._pending if isinstance(p, Publication)]))
        for item in self._pending:
            self._report(next(published) if isinstance(item, Publication) else item)
        self._pending, self._waiting = [], 0
