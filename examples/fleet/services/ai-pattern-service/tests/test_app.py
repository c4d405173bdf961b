import pytest

from ai_pattern_service.app import PatternDetector


async def test_regular_entity_yields_a_pattern(detector):
    pattern = await detector.detect("light.bedroom")
    assert pattern.minute_of_day == 423
    assert pattern.confidence > 0.8


async def test_irregular_entity_has_no_pattern(detector):
    assert await detector.detect("media_player.tv") is None


async def test_too_few_days_has_no_pattern(detector):
    assert await detector.detect("switch.coffee") is None


class TestDetectAll:
    async def test_only_regular_entities_are_reported(self, detector):
        assert [p.entity_id for p in await detector.detect_all()] == ["light.bedroom"]

    @pytest.mark.parametrize("min_days, expected", [(2, ["light.bedroom", "switch.coffee"]), (6, [])])
    async def test_min_days_is_respected(self, store, min_days, expected):
        detector = PatternDetector(store, min_days=min_days)
        assert [p.entity_id for p in await detector.detect_all()] == expected
