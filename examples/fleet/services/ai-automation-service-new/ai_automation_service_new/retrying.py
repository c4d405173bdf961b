"""Deploys generated automations to Home Assistant, retrying while its config API is busy."""
from __future__ import annotations

from dataclasses import dataclass

from tenacity import RetryError, retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential


class HomeAssistantBusy(RuntimeError):
    """HA answered 409: a config reload is in progress."""


class HomeAssistantConfigApi:
    """Stands in for the REST client: answers 409 for the first `busy_for` calls."""

    def __init__(self, busy_for: int = 0) -> None:
        self.busy_for = busy_for
        self.calls = 0

    def create_automation(self, alias: str) -> str:
        self.calls += 1
        if self.calls <= self.busy_for:
            raise HomeAssistantBusy(f"409 config reload in progress (call {self.calls})")
        return "automation." + alias.lower().replace(" ", "_")


@dataclass(frozen=True)
class DeployOutcome:
    ok: bool
    attempts: int
    automation_id: str = ""
    error: str = ""


@retry(
    stop=stop_after_attempt(3),
    wait=wait_random_exponential(multiplier=0.5, max=10),
    retry=retry_if_exception_type(HomeAssistantBusy),
)
def push_automation(api: HomeAssistantConfigApi, alias: str) -> str:
    return api.create_automation(alias)


def deploy(api: HomeAssistantConfigApi, alias: str) -> DeployOutcome:
    """Never raises for a busy HA: the UI shows the outcome and the last error instead."""
    try:
        automation_id = push_automation(api, alias)
    except RetryError as exc:
        last = exc.last_attempt
        return DeployOutcome(ok=False, attempts=last.attempt_number, error=str(last.exception()))
    return DeployOutcome(ok=True, attempts=push_automation.retry.statistics["attempt_number"],
                         automation_id=automation_id)
