import asyncio

import pytest

from ai_core_service.app import Orchestrator

CALLS: list[str] = []


@pytest.fixture(autouse=True)
async def reset_calls():
    CALLS.clear()
    yield


async def ner(text):
    CALLS.append("ner")
    return {"entities": [w for w in text.split() if w.istitle()]}


async def sentiment(text):
    CALLS.append("sentiment")
    await asyncio.sleep(0.001)
    return {"positive": "great" in text}


async def stuck(text):
    await asyncio.sleep(1)


async def offline(text):
    raise ConnectionError("openvino-service unreachable")


@pytest.fixture
async def orchestrator():
    return Orchestrator({"ner": ner, "sentiment": sentiment}, timeout=0.05)


@pytest.fixture
async def degraded():
    yield Orchestrator({"ner": ner, "stuck": stuck, "offline": offline}, timeout=0.01)
