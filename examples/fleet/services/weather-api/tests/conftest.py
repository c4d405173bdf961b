import pytest

from weather_api.app import Observation, StationDirectory, WeatherService


@pytest.fixture(scope="module")
async def directory():
    directory = StationDirectory()
    await directory.load([("Berlin", "10382"), ("Lisbon", "08535")])
    yield directory


@pytest.fixture
async def weather(directory):
    upstream = {"10382": Observation("10382", 12.5, 80), "08535": Observation("08535", 27.0, 70)}
    return WeatherService(directory, upstream)
