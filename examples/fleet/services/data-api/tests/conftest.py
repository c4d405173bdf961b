import pytest

from data_api.app import Reading, ReadingRepository

REPOSITORY = ReadingRepository()

ROWS = [Reading(n, "meter-1" if n % 2 else "meter-2", n * 1.5) for n in range(1, 8)]


@pytest.fixture(autouse=True)
async def clean_database():
    await REPOSITORY.truncate()
    await REPOSITORY.insert_many(ROWS)
    yield
    await REPOSITORY.truncate()


@pytest.fixture
async def repository():
    return REPOSITORY
