import pytest


async def test_lookup_is_case_insensitive(weather):
    assert (await weather.current(" berlin ")).station == "10382"


async def test_unknown_place_raises(weather):
    with pytest.raises(LookupError, match="Atlantis"):
        await weather.current("Atlantis")


async def test_feels_like_warmer_when_humid_and_hot(weather):
    assert await weather.feels_like("Lisbon") == 30.0


async def test_feels_like_unchanged_when_cold(weather):
    assert await weather.feels_like("Berlin") == 12.5
    assert weather.upstream_calls == 1
