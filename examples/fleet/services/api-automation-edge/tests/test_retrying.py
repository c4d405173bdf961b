import pytest
from tenacity import wait_none

from api_automation_edge.retry_metrics import deliver
from api_automation_edge.retrying import WebhookEndpoint, WebhookUnavailable, push_webhook


@pytest.fixture(autouse=True)
def no_backoff():
    saved = push_webhook.retry.wait
    push_webhook.retry.wait = wait_none()
    yield
    push_webhook.retry.wait = saved


def test_delivery_line_counts_the_attempts():
    endpoint = WebhookEndpoint("https://hooks.example.test/ha", failures=2)
    line = deliver(endpoint, {"automation": "porch", "result": "ok"})
    assert line == "webhook_delivery,host=hooks.example.test status=204i,attempts=3i"


def test_first_time_delivery():
    line = deliver(WebhookEndpoint("https://hooks.example.test/ha"), {"result": "ok"})
    assert line.endswith("attempts=1i")


def test_unreachable_subscriber_raises_the_connection_error():
    endpoint = WebhookEndpoint("https://hooks.example.test/down", failures=9)
    with pytest.raises(WebhookUnavailable):
        push_webhook(endpoint, {"result": "ok"})
    assert endpoint.deliveries == 3
