import pytest

from ai_pattern_service.app import HistoryStore, Observation, PatternDetector


def _week(entity_id, minutes):
    return [Observation(entity_id, day, minute) for day, minute in enumerate(minutes)]


@pytest.fixture(scope="session")
async def store():
    observations = (_week("light.bedroom", [420, 425, 418, 422, 430])
                    + _week("media_player.tv", [1200, 600, 900])
                    + _week("switch.coffee", [390, 395]))
    store = HistoryStore(observations)
    assert await store.entities()  # the recorder answered: safe to share for the whole run
    return store


@pytest.fixture
async def detector(store):
    yield PatternDetector(store)
