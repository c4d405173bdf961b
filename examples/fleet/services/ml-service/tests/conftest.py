import asyncio

import pytest

from ml_service.app import REGISTRY


@pytest.fixture(scope="session")
def event_loop():
    # REGISTRY is process-wide and its Condition binds to the loop that first waits on it,
    # so every test has to run in the same loop.
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
async def registry():
    REGISTRY.clear()
    yield REGISTRY
    REGISTRY.clear()
