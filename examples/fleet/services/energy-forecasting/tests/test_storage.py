from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer, flux_csv

from energy_forecasting.storage import ForecastStore

H22 = datetime(2023, 11, 14, 22, 0, tzinfo=timezone.utc)
H23 = datetime(2023, 11, 14, 23, 0, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def forecast_store(influx):
    store = ForecastStore(url=influx.url)
    yield store
    store.close()


def test_forecast_hours_are_written_in_time_order(influx, forecast_store):
    forecast_store.save_forecast("gbm-v3", {H23: 1.75, H22: 2.5})

    assert influx.lines() == [
        "load_forecast,model=gbm-v3 kw=2.5 1699999200",
        "load_forecast,model=gbm-v3 kw=1.75 1700002800",
    ]
    assert influx.writes()[0].params == {"org": "homeiq", "bucket": "energy", "precision": "s"}


@pytest.mark.manual_migration(reason="INF101: Flux mean() query; InfluxDB 3 needs SQL AVG", raises="query_api")
def test_baseline_is_the_mean_load(influx, forecast_store):
    influx.flux_csv = flux_csv([
        {"_time": "2023-11-14T22:00:00Z", "_value": 1.9, "_field": "kw", "_measurement": "household_load"},
    ])

    assert forecast_store.baseline_kw() == 1.9
