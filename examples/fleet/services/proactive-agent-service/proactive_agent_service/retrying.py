"""Asks the LLM for a proactive suggestion; a flaky model endpoint must never break the dashboard card."""
from __future__ import annotations

from dataclasses import dataclass

from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt, wait_exponential


class ModelOverloaded(RuntimeError):
    """The inference endpoint answered 429/503."""


class SuggestionModel:
    """Stands in for the inference client: overloaded for the first `overloaded_for` prompts."""

    def __init__(self, overloaded_for: int = 0) -> None:
        self.overloaded_for = overloaded_for
        self.prompts = 0

    async def complete(self, prompt: str) -> str:
        self.prompts += 1
        if self.prompts <= self.overloaded_for:
            raise ModelOverloaded("503 model overloaded")
        return f"Turn off the lights in the {prompt.split()[-1]}?"


@dataclass(frozen=True)
class Suggestion:
    text: str
    source: str
    attempts: int


def _quiet_fallback(retry_state: RetryCallState) -> Suggestion:
    return Suggestion(text="", source="fallback", attempts=retry_state.attempt_number)


@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=1, max=20),
    retry=retry_if_exception_type(ModelOverloaded),
    retry_error_callback=_quiet_fallback,
)
async def suggest(model: SuggestionModel, room: str) -> Suggestion:
    text = await model.complete(f"Nobody has been in the {room}")
    return Suggestion(text=text, source="model", attempts=suggest.retry.statistics["attempt_number"])
