import pytest
from tenacity import wait_none

from ai_pattern_service.retrying import EventHistory, mine_patterns

EVENTS = ["light.on", "light.off", "light.on", "door.open", "light.on", "door.open"]


async def test_mines_the_most_common_events():
    report = await mine_patterns(EventHistory(EVENTS), wait=wait_none())
    assert report.top == [("light.on", 3), ("door.open", 2)]
    assert report.attempts == 1


async def test_retries_a_timed_out_history_query():
    history = EventHistory(EVENTS, timeouts=2)
    report = await mine_patterns(history, wait=wait_none())
    assert report.attempts == 3
    assert history.calls == 3


async def test_reraises_the_timeout_after_three_attempts():
    history = EventHistory(EVENTS, timeouts=9)
    with pytest.raises(TimeoutError, match="call 3"):
        await mine_patterns(history, wait=wait_none())
