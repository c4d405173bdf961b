import pytest
from pytest_asyncio.plugin import SubRequest

from gaugesync.sync import GaugeSync, UpstreamBusy


class FakeAgency:
    """Answers busy `failures` times per gauge, then a reading."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = []

    async def fetch(self, gauge):
        self.calls.append(gauge)
        if self.calls.count(gauge) <= self.failures:
            raise UpstreamBusy(gauge)
        return {"gauge": gauge, "level_cm": 100 + len(gauge)}


@pytest.fixture(params=[0, 2], ids=["steady", "busy-twice"])
def agency(request: SubRequest):
    return FakeAgency(failures=request.param)


@pytest.fixture
async def sync(agency):
    return GaugeSync(agency.fetch, ["elbe-1", "alster-22"])
