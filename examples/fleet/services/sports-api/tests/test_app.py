import asyncio

from sports_api.app import Score


async def test_second_read_is_served_from_cache(cache, feed):
    await cache.get("nba-1")
    await cache.get("nba-1")
    assert feed.requests == ["nba-1"]


async def test_live_score_expires(cache, feed, clock):
    await cache.get("nba-1")
    clock.now += 31
    feed.scores["nba-1"] = Score("nba-1", 101, 95)
    assert (await cache.get("nba-1")).home == 101
    assert len(feed.requests) == 2


async def test_final_score_never_expires(cache, feed, clock):
    await cache.get("nfl-7")
    clock.now += 10_000
    await cache.get("nfl-7")
    assert feed.requests == ["nfl-7"]


async def test_concurrent_misses_share_one_fetch(cache, feed):
    scores = await asyncio.gather(*(cache.get("nba-1") for _ in range(5)))
    assert {s.home for s in scores} == {98}
    assert feed.requests == ["nba-1"]
