import pytest
from tenacity import wait_none

from ai_core_service.retry_metrics import complete_and_sample
from ai_core_service.retrying import ModelGateway, complete


@pytest.fixture(autouse=True)
def no_backoff():
    saved = complete.retry.wait
    complete.retry.wait = wait_none()
    yield
    complete.retry.wait = saved


async def test_samples_report_the_attempts_of_the_last_call():
    gateway = ModelGateway(drops=2)
    result, samples = await complete_and_sample(gateway, "llama3", "dim the lights")
    assert result == {"model": "llama3", "text": "DIM THE LIGHTS", "tokens": 3}
    assert samples == {
        'ai_core_completion_attempts{model="llama3"}': 3.0,
        'ai_core_completion_idle_seconds{model="llama3"}': 0.0,
    }


async def test_statistics_describe_the_latest_call():
    await complete(ModelGateway(drops=1), "phi3", "hello")
    assert complete.retry.statistics["attempt_number"] == 2
