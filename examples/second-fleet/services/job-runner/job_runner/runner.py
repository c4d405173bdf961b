"""Runs queued jobs with bounded concurrency; blocking jobs go to the default executor."""
import asyncio
import time


class JobRunner:
    def __init__(self, concurrency=2):
        self._semaphore = asyncio.Semaphore(concurrency)
        self.finished = []

    async def run(self, name, job):
        async with self._semaphore:
            if asyncio.iscoroutinefunction(job):
                result = await job()
            else:
                result = await asyncio.get_running_loop().run_in_executor(None, job)
            self.finished.append(name)
            return result

    async def run_all(self, jobs):
        return await asyncio.gather(*(self.run(name, job) for name, job in jobs.items()))


def slow_square(n, delay=0.01):
    time.sleep(delay)
    return n * n
