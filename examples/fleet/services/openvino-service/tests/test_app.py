import asyncio

from openvino_service.app import keyword_model


async def test_scores_follow_the_model(server):
    assert await server.score(["Smoke alarm in hall", "Lights on"]) == [1.0, 0.0]


async def test_requests_are_split_into_batches(server):
    await server.score(["a", "b", "c", "d", "e"])
    assert server.batches == [2, 2, 1]


async def test_concurrent_requests_are_all_answered(server):
    results = await asyncio.gather(server.score(["leak"]), server.score(["smoke", "leak alarm"]))
    assert results == [[0.5], [0.5, 1.0]]


def test_model_is_deterministic():
    assert keyword_model(["water leak"]) == keyword_model(["water leak"]) == [0.5]
