import asyncio

import pytest

from ai_query_service.app import QueryRouter


async def energy_backend(question):
    await asyncio.sleep(0)
    return "You used 12.4 kWh today."


async def slow_backend(question):
    await asyncio.sleep(5)
    return "too late"


async def llm_fallback(question):
    return f"LLM: {question}"


@pytest.fixture
async def router():
    router = QueryRouter(llm_fallback, timeout=0.02)
    router.add_route("energy", r"\b(kwh|energy|power)\b", energy_backend)
    router.add_route("weather", r"\b(rain|weather)\b", slow_backend)
    yield router
    router.routes.clear()
