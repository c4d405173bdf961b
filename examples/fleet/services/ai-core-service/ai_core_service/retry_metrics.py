"""Prometheus-style samples about the gateway retries, scraped by the platform's collector."""
from __future__ import annotations

from . import retrying


def completion_retry_samples(model: str) -> dict[str, float]:
    """Samples for the last completion call (read right after the call, before the next one starts)."""
    stats = retrying.complete.retry.statistics
    return {
        f'ai_core_completion_attempts{{model="{model}"}}': float(stats.get("attempt_number", 0)),
        f'ai_core_completion_idle_seconds{{model="{model}"}}': float(stats.get("idle_for", 0.0)),
    }


async def complete_and_sample(gateway: retrying.ModelGateway, model: str, prompt: str) -> tuple[dict, dict]:
    result = await retrying.complete(gateway, model, prompt)
    return result, completion_retry_samples(model)
