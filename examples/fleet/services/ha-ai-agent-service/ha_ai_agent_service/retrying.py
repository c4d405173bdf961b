"""Runs the agent's Home Assistant tool calls, retrying timeouts with an observed back-off."""
from __future__ import annotations

from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt

# Scheduled back-off per retry, exported as a histogram: tells a slow HA from a flaky network.
BACKOFF_HISTORY: list[float] = []


class ToolTimeout(TimeoutError):
    """The HA service call did not finish within the agent's tool timeout."""


def observed_backoff(retry_state: RetryCallState) -> float:
    delay = min(0.5 * 2 ** (retry_state.attempt_number - 1), 8.0)
    BACKOFF_HISTORY.append(delay)
    return delay


class HomeAssistantTools:
    """Stands in for the HA websocket client: the first `slow_for` calls time out."""

    def __init__(self, slow_for: int = 0) -> None:
        self.slow_for = slow_for
        self.calls: list[str] = []

    async def call_service(self, service: str, entity_id: str) -> dict:
        self.calls.append(service)
        if len(self.calls) <= self.slow_for:
            raise ToolTimeout(f"{service} timed out")
        return {"service": service, "entity_id": entity_id, "success": True}


@retry(stop=stop_after_attempt(3), wait=observed_backoff, retry=retry_if_exception_type(ToolTimeout))
async def call_tool(tools: HomeAssistantTools, service: str, entity_id: str) -> dict:
    return await tools.call_service(service, entity_id)


async def run_tool(tools: HomeAssistantTools, service: str, entity_id: str) -> dict:
    """The tool result the LLM sees, with the attempts so it can tell the user HA was slow."""
    result = await call_tool(tools, service, entity_id)
    return {**result, "attempts": call_tool.retry.statistics["attempt_number"]}
