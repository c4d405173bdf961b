import pytest
from tenacity import wait_none

from ai_automation_service_new.retrying import HomeAssistantConfigApi, deploy, push_automation


@pytest.fixture(autouse=True)
def no_backoff():
    saved = push_automation.retry.wait
    push_automation.retry.wait = wait_none()
    yield
    push_automation.retry.wait = saved


def test_deploy_succeeds_after_a_busy_answer():
    api = HomeAssistantConfigApi(busy_for=1)
    outcome = deploy(api, "Porch Lights")
    assert outcome.ok
    assert outcome.automation_id == "automation.porch_lights"
    assert outcome.attempts == 2


def test_deploy_reports_the_last_error_when_ha_stays_busy():
    api = HomeAssistantConfigApi(busy_for=5)
    outcome = deploy(api, "Porch Lights")
    assert not outcome.ok
    assert outcome.attempts == 3
    assert outcome.error == "409 config reload in progress (call 3)"
    assert api.calls == 3
