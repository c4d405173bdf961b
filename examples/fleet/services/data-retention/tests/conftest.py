from datetime import datetime

import pytest

from data_retention.app import Policy, RetentionPlanner

NOW = datetime(2024, 3, 1, 12, 0)


class FakeBuckets:
    """Points per bucket with their timestamps; delete_before removes the old ones."""

    def __init__(self):
        self.points = {
            "sensors": [datetime(2024, 1, 1), datetime(2024, 2, 25), datetime(2024, 2, 28)],
            "events": [datetime(2023, 6, 1), datetime(2024, 2, 1)],
        }

    async def delete_before(self, bucket, cutoff):
        old = [t for t in self.points[bucket] if t < cutoff]
        self.points[bucket] = [t for t in self.points[bucket] if t >= cutoff]
        return len(old)


@pytest.fixture
async def buckets():
    return FakeBuckets()


@pytest.fixture
async def planner(buckets):
    yield RetentionPlanner([Policy("sensors", 7), Policy("events", 90)], buckets.delete_before)
