import pytest
from tenacity import wait_none

from proactive_agent_service.retrying import SuggestionModel, suggest


@pytest.fixture(autouse=True)
def no_backoff():
    saved = suggest.retry.wait
    suggest.retry.wait = wait_none()
    yield
    suggest.retry.wait = saved


async def test_suggestion_after_an_overloaded_answer():
    suggestion = await suggest(SuggestionModel(overloaded_for=1), "garage")
    assert suggestion.text == "Turn off the lights in the garage?"
    assert (suggestion.source, suggestion.attempts) == ("model", 2)


async def test_falls_back_quietly_when_the_model_stays_overloaded():
    model = SuggestionModel(overloaded_for=10)
    suggestion = await suggest(model, "garage")
    assert (suggestion.text, suggestion.source, suggestion.attempts) == ("", "fallback", 3)
    assert model.prompts == 3
    assert suggest.retry.statistics["attempt_number"] == 3
