import pytest


async def test_best_scored_first(ranker):
    assert [s.slug for s in await ranker.suggest("flat-12")] == ["motion-light", "sunset-lights", "door-chime"]


async def test_missing_devices_exclude_a_blueprint(ranker):
    assert [s.slug for s in await ranker.suggest("cabin")] == ["sunset-lights"]


class TestDismissals:
    async def test_dismissed_blueprints_are_hidden(self, ranker):
        suggestions = await ranker.suggest("flat-12", dismissed={"motion-light"})
        assert "motion-light" not in [s.slug for s in suggestions]

    @pytest.mark.parametrize("limit", [1, 2])
    async def test_limit(self, ranker, limit):
        assert len(await ranker.suggest("flat-12", limit=limit)) == limit


async def test_many_homes_at_once(ranker):
    assert await ranker.suggest_for_homes(["cabin", "flat-12"]) == {
        "cabin": ["sunset-lights"],
        "flat-12": ["motion-light", "sunset-lights", "door-chime"],
    }
