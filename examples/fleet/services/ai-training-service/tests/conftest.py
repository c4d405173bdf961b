import asyncio

import pytest

from ai_training_service.app import TrainingQueue


async def flaky_trainer(job):
    await asyncio.sleep(0.001 * job.epochs)
    if job.job_id.startswith("flaky") and job.attempts == 1:
        raise RuntimeError("CUDA out of memory")
    if job.job_id.startswith("broken"):
        raise RuntimeError("NaN loss")


@pytest.fixture
async def queue():
    queue = TrainingQueue(flaky_trainer, slots=2)
    yield queue
    assert all(job.status != "running" for job in queue.jobs.values())
