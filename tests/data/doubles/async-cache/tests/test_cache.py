async def test_a_value_is_loaded_once(cache, loader):
    assert await cache.get("k") == "K"
    assert await cache.get("k") == "K"
    loader.assert_any_await("k")
    assert loader.await_count == 2  # the fixture's own load, then "k" once


async def test_the_fixture_filled_the_cache(cache, loader):
    loader.assert_awaited_once_with("test")
