from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from energy_correlator.storage import Correlation, CorrelationBatcher, write_daily_summary

WINDOW_END = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


def test_daily_summary_is_written_immediately(influx):
    write_daily_summary(WINDOW_END, Correlation("heat-pump", 0.92, WINDOW_END), url=influx.url)

    assert influx.lines() == ["correlation_summary,appliance=heat-pump coefficient=0.92 1700000000"]
    assert influx.writes()[0].params["bucket"] == "correlation_summaries"


@pytest.mark.manual_migration(reason="INF104: batching write_api(); choose the v3 write mode", raises="write_api")
def test_correlations_are_sent_as_one_batch_on_close(influx):
    batcher = CorrelationBatcher(url=influx.url)
    batcher.add([Correlation("heat-pump", 0.92, WINDOW_END), Correlation("dishwasher", 0.31, WINDOW_END)])

    batcher.close()  # flushes the pending batch

    (write,) = influx.writes()
    assert write.body.splitlines() == [
        "appliance_correlation,appliance=heat-pump coefficient=0.92 1700000000",
        "appliance_correlation,appliance=dishwasher coefficient=0.31 1700000000",
    ]
