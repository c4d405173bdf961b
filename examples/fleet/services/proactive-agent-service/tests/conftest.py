import pytest

from proactive_agent_service.app import Clock, SuggestionScheduler

DELIVERY_LOG: list[str] = []


@pytest.fixture(autouse=True)
async def flush_delivery_log():
    yield
    DELIVERY_LOG.clear()


@pytest.fixture
def clock():
    return Clock(now=1_000.0)


@pytest.fixture
async def scheduler(clock):
    scheduler = SuggestionScheduler(clock, quiet_users={"guest"})
    scheduler.schedule("Close the garage door?", "anna", delay=60)
    scheduler.schedule("Water the plants?", "ben", delay=3600)
    yield scheduler
    DELIVERY_LOG.extend(s.text for s in scheduler.delivered)
