import asyncio

import pytest


@pytest.fixture(scope="session")
def event_loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
async def job_catalogue():
    await asyncio.sleep(0)
    return {"nightly": ["vacuum", "rollup"], "hourly": ["ping"]}
