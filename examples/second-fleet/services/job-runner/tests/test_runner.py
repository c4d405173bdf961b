import asyncio
import functools
import unittest

import pytest

from job_runner.runner import JobRunner, slow_square


async def test_blocking_jobs_run_in_the_executor(event_loop):
    result = await event_loop.run_in_executor(None, slow_square, 4)
    assert result == 16


async def test_run_all_keeps_order():
    runner = JobRunner(concurrency=2)
    jobs = {f"sq{n}": functools.partial(slow_square, n) for n in range(4)}
    assert await runner.run_all(jobs) == [0, 1, 4, 9]
    assert sorted(runner.finished) == ["sq0", "sq1", "sq2", "sq3"]


async def test_catalogue_is_loaded_once(job_catalogue):
    assert job_catalogue["hourly"] == ["ping"]


@pytest.mark.asyncio(scope="session")
async def test_coroutine_jobs_are_awaited():
    async def job():
        await asyncio.sleep(0)
        return "done"

    assert await JobRunner().run("c", job) == "done"


class RunnerTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.runner = JobRunner(concurrency=1)

    async def test_concurrency_one_runs_in_turn(self):
        await self.runner.run_all({"a": functools.partial(slow_square, 1), "b": functools.partial(slow_square, 2)})
        self.assertEqual(self.runner.finished, ["a", "b"])
