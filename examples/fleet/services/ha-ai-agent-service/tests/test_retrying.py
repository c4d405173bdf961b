from types import SimpleNamespace

import pytest
from tenacity import wait_none

from ha_ai_agent_service.retrying import BACKOFF_HISTORY, HomeAssistantTools, call_tool, observed_backoff, run_tool


@pytest.fixture(autouse=True)
def no_backoff():
    saved = call_tool.retry.wait
    call_tool.retry.wait = wait_none()
    yield
    call_tool.retry.wait = saved


async def test_tool_result_carries_the_attempts():
    tools = HomeAssistantTools(slow_for=1)
    result = await run_tool(tools, "light.turn_on", "light.desk")
    assert result == {"service": "light.turn_on", "entity_id": "light.desk", "success": True, "attempts": 2}
    assert tools.calls == ["light.turn_on", "light.turn_on"]


async def test_fast_tool_call_takes_one_attempt():
    result = await run_tool(HomeAssistantTools(), "switch.toggle", "switch.fan")
    assert result["attempts"] == 1


def test_observed_backoff_doubles_up_to_eight_seconds_and_records_each_delay():
    BACKOFF_HISTORY.clear()
    delays = [observed_backoff(SimpleNamespace(attempt_number=n)) for n in (1, 2, 3, 6)]
    assert delays == [0.5, 1.0, 2.0, 8.0]
    assert BACKOFF_HISTORY == delays
