"""Conversation memory for the Home Assistant AI agent: bounded per-conversation history."""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str


class ConversationStore:
    def __init__(self, max_turns: int = 6) -> None:
        self.max_turns = max_turns
        self._conversations: dict[str, deque[Turn]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def append(self, conversation_id: str, turn: Turn) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            history = self._conversations.setdefault(conversation_id, deque(maxlen=self.max_turns))
            await asyncio.sleep(0)  # persisted to Redis in production
            history.append(turn)

    async def context(self, conversation_id: str, budget_chars: int = 200) -> list[Turn]:
        """The most recent turns that fit the prompt budget, oldest first."""
        picked: list[Turn] = []
        used = 0
        for turn in reversed(self._conversations.get(conversation_id, ())):
            if used + len(turn.text) > budget_chars:
                break
            picked.append(turn)
            used += len(turn.text)
        return picked[::-1]

    async def forget(self, conversation_id: str) -> bool:
        self._locks.pop(conversation_id, None)
        return self._conversations.pop(conversation_id, None) is not None
