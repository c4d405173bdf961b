import asyncio
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer, flux_csv

from data_api.storage import device_series, ingest, to_point

AT = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


async def test_ingestion_runs_off_the_event_loop(influx):
    points = [to_point("meter-1", 1.5, "kWh", AT), to_point("meter-2", 3.0, "kWh", AT)]

    assert await asyncio.to_thread(ingest, points, influx.url) == 2

    assert influx.lines() == [
        "reading,device_id=meter-1,unit=kWh value=1.5 1700000000",
        "reading,device_id=meter-2,unit=kWh value=3 1700000000",
    ]
    assert influx.writes()[0].params["bucket"] == "device_readings"


def test_empty_ingestion_sends_nothing(influx):
    assert ingest([], url=influx.url) == 0
    assert influx.writes() == []


@pytest.mark.manual_migration(reason="INF101: Flux query; InfluxDB 3 needs SQL", raises="query_api")
async def test_device_series_returns_both_fields(influx):
    influx.flux_csv = flux_csv([
        {"_time": "2023-11-14T22:13:20Z", "_value": 1.5, "_field": "value", "_measurement": "reading",
         "device_id": "meter-1"},
        {"_time": "2023-11-14T22:13:20Z", "_value": 0.99, "_field": "quality", "_measurement": "reading",
         "device_id": "meter-1"},
    ])

    series = await asyncio.to_thread(device_series, "meter-1", influx.url)

    assert series == [(AT, "value", 1.5), (AT, "quality", 0.99)]
