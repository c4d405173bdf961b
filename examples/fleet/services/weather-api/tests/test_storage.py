import asyncio
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from weather_api.storage import Observation, ObservationRepository

NOON = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
async def observations(influx):
    repository = ObservationRepository(url=influx.url)
    yield repository
    await asyncio.to_thread(repository.close)


async def test_observations_are_written_as_one_batch(influx, observations):
    await asyncio.to_thread(observations.save, [
        Observation("oslo", -3.5, 81.0, NOON),
        Observation("bergen", 6.25, 93.5, NOON),
    ])

    (write,) = influx.writes()
    assert write.params["bucket"] == "weather"
    assert write.params["precision"] == "s"
    assert influx.lines() == [
        "weather,station=oslo humidity_pct=81,temperature_c=-3.5 1700000000",
        "weather,station=bergen humidity_pct=93.5,temperature_c=6.25 1700000000",
    ]


def test_saving_nothing_sends_nothing(influx, observations):
    observations.save([])

    assert influx.writes() == []
