import pytest

from automation_miner.app import AutomationMiner, Event, EventSource

HISTORY = [
    Event("light.porch", "on", 19),
    Event("light.porch", "on", 19),
    Event("switch.kettle", "on", 7),
    Event("light.porch", "off", 23),
    Event("switch.kettle", "on", 7),
]


@pytest.fixture
async def source():
    return EventSource(HISTORY)


@pytest.fixture
async def miner(source):
    miner = AutomationMiner(min_support=2)
    await miner.ingest(source)
    yield miner
    miner.reset()
