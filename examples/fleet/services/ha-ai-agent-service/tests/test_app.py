import asyncio

from ha_ai_agent_service.app import ConversationStore, Turn


async def test_context_returns_history_in_order(store):
    assert [t.role for t in await store.context("conv-1")] == ["user", "assistant"]


async def test_history_is_bounded(store, long_conversation):
    for turn in long_conversation:
        await store.append("conv-2", turn)
    assert [t.text for t in await store.context("conv-2")][-1] == "message number 9"
    assert len(await store.context("conv-2", budget_chars=10_000)) == 4


async def test_budget_keeps_the_newest_turns(store):
    context = await store.context("conv-1", budget_chars=25)
    assert context == [Turn("assistant", "Kitchen lights are on.")]


async def test_parallel_appends_are_serialised():
    store = ConversationStore(max_turns=50)
    await asyncio.gather(*(store.append("c", Turn("user", str(i))) for i in range(20)))
    assert len(await store.context("c", budget_chars=1_000)) == 20


async def test_forget_unknown_conversation(store):
    assert await store.forget("nope") is False
