from datetime import datetime

from conftest import NOW
from data_retention.app import RetentionPlanner


async def test_old_points_are_deleted(planner, buckets):
    results = await planner.run(NOW)
    assert {r.bucket: r.deleted for r in results} == {"events": 1, "sensors": 1}
    assert buckets.points["sensors"] == [datetime(2024, 2, 25), datetime(2024, 2, 28)]


async def test_dry_run_deletes_nothing(planner, buckets):
    planner.dry_run = True
    assert all(r.deleted == 0 for r in await planner.run(NOW))
    assert len(buckets.points["sensors"]) == 3


async def test_second_run_is_a_no_op(planner):
    await planner.run(NOW)
    assert [r.deleted for r in await planner.run(NOW)] == [0, 0]


def test_cutoffs_follow_the_policies(planner):
    assert planner.cutoffs(NOW)["sensors"] == datetime(2024, 2, 23, 12, 0)


async def test_no_policies_nothing_to_do(buckets):
    assert await RetentionPlanner([], buckets.delete_before).run(NOW) == []
