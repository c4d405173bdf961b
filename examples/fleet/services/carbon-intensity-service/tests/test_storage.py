from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from carbon_intensity_service.storage import CarbonIntensityWriter


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def intensity_writer(influx):
    writer = CarbonIntensityWriter(url=influx.url)
    yield writer
    writer.close()


def test_forecast_point_is_written(influx, intensity_writer):
    intensity_writer.write_intensity("GB-south", 182.5, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))

    assert influx.lines() == ["carbon_intensity,region=GB-south g_co2_per_kwh=182.5 1700000000"]
    assert influx.writes()[0].params["bucket"] == "carbon_intensity"


def test_feed_lines_are_forwarded_unchanged(influx, intensity_writer):
    feed = [
        "carbon_intensity,region=GB-north g_co2_per_kwh=96 1700000000000000000",
        "carbon_intensity,region=GB-west g_co2_per_kwh=120 1700000000000000000",
    ]

    intensity_writer.write_feed_lines(feed)

    assert influx.lines() == feed
    assert influx.writes()[0].params["precision"] == "ns"
