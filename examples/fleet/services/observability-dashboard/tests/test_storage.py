from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer, flux_csv

from observability_dashboard.storage import DashboardStore

AT = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def dashboard(influx):
    store = DashboardStore(url=influx.url)
    yield store
    store.close()


def test_panel_view_is_written(influx, dashboard):
    dashboard.record_view("latency", "alice", AT)

    assert influx.lines() == ['panel_view,panel=latency user="alice" 1700000000']
    assert influx.writes()[0].params["bucket"] == "observability"


@pytest.mark.manual_migration(reason="INF101: Flux query; InfluxDB 3 needs SQL", raises="query_api")
def test_recent_errors_come_back_in_time_order(influx, dashboard):
    influx.flux_csv = flux_csv([
        {"_time": "2023-11-14T22:13:20Z", "_value": 3, "_field": "count", "_measurement": "http_errors",
         "service": "api"},
        {"_time": "2023-11-14T22:14:20Z", "_value": 1, "_field": "count", "_measurement": "http_errors",
         "service": "api"},
    ])

    errors = dashboard.recent_errors("api")

    assert [count for _, count in errors] == [3.0, 1.0]
    assert errors[0][0] == AT
