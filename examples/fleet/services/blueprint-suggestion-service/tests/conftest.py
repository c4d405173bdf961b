import asyncio

import pytest

from blueprint_suggestion_service.app import Candidate, SuggestionRanker

HOMES = {
    "flat-12": {"light", "motion", "door"},
    "cabin": {"light"},
}

CATALOG = [
    Candidate("motion-light", frozenset({"light", "motion"}), 90),
    Candidate("door-chime", frozenset({"door"}), 40),
    Candidate("sunset-lights", frozenset({"light"}), 60),
    Candidate("leak-alert", frozenset({"water"}), 80),
]


async def devices_of(home_id):
    await asyncio.sleep(0)
    return HOMES[home_id]


@pytest.fixture
async def ranker():
    yield SuggestionRanker(devices_of, CATALOG)
