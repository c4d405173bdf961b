import pytest


async def test_jobs_complete(queue):
    queue.submit("occupancy-v3", epochs=2)
    assert await queue.run_all() == {"occupancy-v3": "done"}


async def test_transient_failure_is_retried(queue):
    job = queue.submit("flaky-energy", epochs=1)
    await queue.run_all()
    assert (job.status, job.attempts) == ("done", 2)
    assert job.log == ["attempt 1: CUDA out of memory"]


async def test_persistent_failure_gives_up(queue):
    job = queue.submit("broken-model", epochs=1)
    await queue.run_all()
    assert (job.status, job.attempts) == ("failed", 2)


async def test_slots_limit_concurrency(queue):
    for n in range(5):
        queue.submit(f"job-{n}", epochs=1)
    await queue.run_all()
    assert queue.peak_running == 2


@pytest.mark.gpu
def test_marker_is_registered(queue):
    assert queue.slots == 2
