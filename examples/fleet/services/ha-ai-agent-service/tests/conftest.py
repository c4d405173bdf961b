import pytest

from ha_ai_agent_service.app import ConversationStore, Turn

GREETING = [Turn("user", "Turn on the kitchen lights"), Turn("assistant", "Kitchen lights are on.")]


@pytest.fixture
async def store():
    store = ConversationStore(max_turns=4)
    for turn in GREETING:
        await store.append("conv-1", turn)
    yield store
    await store.forget("conv-1")


@pytest.fixture(scope="module")
async def long_conversation():
    return [Turn("user" if i % 2 == 0 else "assistant", f"message number {i}") for i in range(10)]
