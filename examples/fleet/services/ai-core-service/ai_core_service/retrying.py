"""Routes completion requests to the model gateway, retrying gateway hiccups."""
from __future__ import annotations

import tenacity


class GatewayError(ConnectionError):
    """The model gateway dropped the connection or answered 502."""


class ModelGateway:
    """Stands in for the gateway's HTTP client: drops the first `drops` requests."""

    def __init__(self, drops: int = 0) -> None:
        self.drops = drops
        self.requests = 0

    async def post_completion(self, model: str, prompt: str) -> dict:
        self.requests += 1
        if self.requests <= self.drops:
            raise GatewayError("502 bad gateway")
        return {"model": model, "text": prompt.upper(), "tokens": len(prompt.split())}


@tenacity.retry(
    stop=tenacity.stop_after_attempt(4) | tenacity.stop_after_delay(30),
    wait=tenacity.wait_exponential(multiplier=0.5, max=10),
    retry=tenacity.retry_if_exception_type(GatewayError),
)
async def complete(gateway: ModelGateway, model: str, prompt: str) -> dict:
    return await gateway.post_completion(model, prompt)
