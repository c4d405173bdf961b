from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer, flux_csv

from air_quality_service.storage import Reading, latest_pm25, store_readings

KITCHEN = Reading("kitchen", pm25=12.5, pm10=20.1, taken_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))
HALL = Reading("hall", pm25=3.0, pm10=4.0, taken_at=datetime(2023, 11, 14, 22, 13, 21, tzinfo=timezone.utc))


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


def test_readings_are_written_as_line_protocol(influx):
    store_readings([KITCHEN, HALL], url=influx.url)

    assert influx.lines() == [
        "air_quality,sensor=kitchen pm10=20.1,pm25=12.5 1700000000",
        "air_quality,sensor=hall pm10=4,pm25=3 1700000001",
    ]


def test_write_targets_the_bucket_with_second_precision(influx):
    store_readings([KITCHEN], url=influx.url)

    (write,) = influx.writes()
    assert write.path == "/api/v2/write"
    assert write.params["bucket"] == "air_quality"
    assert write.params["precision"] == "s"
    assert write.headers["authorization"] == "Token air-quality-token"


@pytest.mark.manual_migration(reason="INF101: Flux query; InfluxDB 3 needs SQL", raises="query_api")
def test_latest_pm25_reads_the_last_value(influx):
    influx.flux_csv = flux_csv([
        {"_time": "2023-11-14T22:13:20Z", "_value": 12.5, "_field": "pm25", "_measurement": "air_quality",
         "sensor": "kitchen"},
    ])

    assert latest_pm25("kitchen", url=influx.url) == 12.5
    (query,) = influx.requests_to("/api/v2/query")
    assert 'r.sensor == \\"kitchen\\"' in query.body
