"""Pushes automation results to subscriber webhooks, retrying connection failures and 5xx answers."""
from __future__ import annotations

from dataclasses import dataclass

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential


class WebhookUnavailable(ConnectionError):
    """The subscriber refused the connection or answered 5xx."""


@dataclass
class WebhookEndpoint:
    """Stands in for the HTTP session bound to one subscriber URL: fails `failures` times, then 204."""

    url: str
    failures: int = 0
    deliveries: int = 0

    def post(self, payload: dict) -> int:
        self.deliveries += 1
        if self.deliveries <= self.failures:
            raise WebhookUnavailable(f"{self.url}: 503")
        return 204


@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=1, min=1, max=15),
    retry=retry_if_exception_type(WebhookUnavailable),
    reraise=True,
)
def push_webhook(endpoint: WebhookEndpoint, payload: dict) -> int:
    return endpoint.post(payload)
