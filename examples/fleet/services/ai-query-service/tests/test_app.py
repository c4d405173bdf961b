async def test_matching_route_answers(router):
    answer = await router.ask("How much energy did we use?")
    assert answer.route == "energy"


async def test_unmatched_question_goes_to_fallback(router):
    assert (await router.ask("Tell me a joke")).text == "LLM: Tell me a joke"


async def test_slow_backend_falls_back(router):
    assert (await router.ask("Will it rain?")).route == "fallback"


async def test_batch_answers_keep_question_order(router):
    answers = await router.ask_many(["power now?", "hello"])
    assert [a.route for a in answers] == ["energy", "fallback"]
