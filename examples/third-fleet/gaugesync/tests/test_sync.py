import pytest

from gaugesync.sync import GaugeSync, UpstreamBusy


async def test_each_gauge_keeps_its_latest_reading(sync):
    latest = await sync.pull_all()

    assert latest == {"elbe-1": {"gauge": "elbe-1", "level_cm": 106},
                      "alster-22": {"gauge": "alster-22", "level_cm": 109}}


async def test_attempts_are_counted(sync, agency):
    await sync.pull("elbe-1")

    assert sync.pull_attempts() == agency.failures + 1


async def test_a_gauge_that_stays_busy_fails_the_round():
    async def always_busy(gauge):
        raise UpstreamBusy(gauge)

    with pytest.raises(UpstreamBusy):
        await GaugeSync(always_busy, ["elbe-1"]).pull_all()
