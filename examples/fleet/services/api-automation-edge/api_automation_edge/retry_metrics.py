"""Delivery metrics in InfluxDB line protocol, written next to the automation run records."""
from __future__ import annotations

from api_automation_edge.retrying import WebhookEndpoint, push_webhook


def deliver(endpoint: WebhookEndpoint, payload: dict) -> str:
    """Delivers the payload and returns the line describing the delivery."""
    status = push_webhook(endpoint, payload)
    attempts = push_webhook.retry.statistics["attempt_number"]
    host = endpoint.url.split("/")[2]
    return f"webhook_delivery,host={host} status={status}i,attempts={attempts}i"
