import asyncio
import json
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from data_retention.storage import InfluxRetention

CUTOFF = datetime(2024, 2, 23, 12, 0, tzinfo=timezone.utc)
FINISHED = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
async def retention(influx):
    store = InfluxRetention(url=influx.url)
    yield store
    await asyncio.to_thread(store.close)


async def test_purge_run_is_recorded(influx, retention):
    await asyncio.to_thread(retention.record_run, "sensors", CUTOFF, FINISHED)

    assert influx.lines() == ['retention_run,bucket=sensors cutoff="2024-02-23T12:00:00+00:00" 1700000000']
    assert influx.writes()[0].params["bucket"] == "ops"


@pytest.mark.manual_migration(reason="INF102: InfluxDB 3 has no delete-by-predicate", raises="delete_api")
async def test_old_points_are_deleted_up_to_the_cutoff(influx, retention):
    assert await retention.delete_before("sensors", CUTOFF) == 0

    (delete,) = influx.requests_to("/api/v2/delete")
    assert delete.params == {"org": "homeiq", "bucket": "sensors"}
    assert json.loads(delete.body)["stop"].startswith("2024-02-23T12:00:00")
