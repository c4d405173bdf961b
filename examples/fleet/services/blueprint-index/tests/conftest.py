import pytest

from blueprint_index.app import Blueprint, BlueprintIndex

CATALOG = [
    Blueprint("motion-light", "Motion activated light", "light", ("motion", "presence")),
    Blueprint("sunset-lights", "Turn on lights at sunset", "light", ("sun",)),
    Blueprint("leak-alert", "Water leak alert", "notify", ("water", "safety")),
    Blueprint("motion-alarm", "Motion alarm when away", "alarm", ("motion", "security")),
]


@pytest.fixture(scope="module")
async def index():
    index = BlueprintIndex()
    await index.load(CATALOG)
    return index


@pytest.fixture
async def empty_index():
    yield BlueprintIndex()
