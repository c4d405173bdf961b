import asyncio

import pytest

from sports_api.app import Score, ScoreCache


class Feed:
    def __init__(self):
        self.requests = []
        self.scores = {"nba-1": Score("nba-1", 98, 95), "nfl-7": Score("nfl-7", 21, 17, final=True)}

    async def __call__(self, game_id):
        self.requests.append(game_id)
        await asyncio.sleep(0.001)
        return self.scores[game_id]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
async def feed():
    return Feed()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def cache(feed, clock):
    yield ScoreCache(feed, clock, ttl=30)
