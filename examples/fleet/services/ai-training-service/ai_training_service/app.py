"""A training job queue: jobs wait for a free worker slot, failures are retried once."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable


@dataclass
class Job:
    job_id: str
    epochs: int
    attempts: int = 0
    status: str = "queued"
    log: list[str] = field(default_factory=list)


Trainer = Callable[[Job], Awaitable[None]]


class TrainingQueue:
    def __init__(self, trainer: Trainer, slots: int = 2, max_attempts: int = 2) -> None:
        self.trainer = trainer
        self.slots = slots
        self.max_attempts = max_attempts
        self.jobs: dict[str, Job] = {}
        self.peak_running = 0
        self._running = 0

    def submit(self, job_id: str, epochs: int) -> Job:
        job = self.jobs[job_id] = Job(job_id, epochs)
        return job

    async def run_all(self) -> dict[str, str]:
        semaphore = asyncio.Semaphore(self.slots)
        await asyncio.gather(*(self._run(job, semaphore) for job in self.jobs.values() if job.status == "queued"))
        return {job_id: job.status for job_id, job in self.jobs.items()}

    async def _run(self, job: Job, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
            try:
                while job.attempts < self.max_attempts:
                    job.attempts += 1
                    try:
                        await self.trainer(job)
                        job.status = "done"
                        return
                    except RuntimeError as error:
                        job.log.append(f"attempt {job.attempts}: {error}")
                job.status = "failed"
            finally:
                self._running -= 1
