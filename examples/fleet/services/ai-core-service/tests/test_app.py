from conftest import CALLS


async def test_all_backends_answer(orchestrator):
    result = await orchestrator.analyse("Anna had a great day in Lisbon")
    assert result == {"ner": {"entities": ["Anna", "Lisbon"]}, "sentiment": {"positive": True}}


async def test_backends_run_concurrently(orchestrator):
    await orchestrator.analyse("hello")
    assert sorted(CALLS) == ["ner", "sentiment"]


async def test_partial_result_when_backends_fail(degraded):
    assert await degraded.analyse("Ben") == {"ner": {"entities": ["Ben"]}}
    assert degraded.metrics == {"calls": 3, "timeouts": 1, "errors": 1}


def test_calls_are_reset_between_tests():
    assert CALLS == []
