import pytest

from automation_miner.app import AutomationMiner, EventSource


async def test_ingest_reads_every_page(source):
    miner = AutomationMiner()
    assert await miner.ingest(source) == 5
    assert source.pages_served == 3


async def test_recurring_events_become_candidates(miner):
    assert miner.candidates() == [("light.porch", "on", 19), ("switch.kettle", "on", 7)]


async def test_empty_history_has_no_candidates():
    miner = AutomationMiner()
    assert await miner.ingest(EventSource([])) == 0
    assert miner.candidates() == []


class TestSupportThreshold:
    async def test_high_threshold_filters_everything(self, source):
        miner = AutomationMiner(min_support=3)
        await miner.ingest(source)
        assert miner.candidates() == []

    @pytest.mark.parametrize("support, expected", [(1, 3), (2, 2)])
    async def test_threshold_controls_candidate_count(self, source, support, expected):
        miner = AutomationMiner(min_support=support)
        await miner.ingest(source)
        assert len(miner.candidates()) == expected


def test_reset_forgets_everything():
    miner = AutomationMiner(min_support=1)
    miner.reset()
    assert miner.candidates() == []
