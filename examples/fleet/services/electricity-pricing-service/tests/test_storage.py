from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from electricity_pricing_service.storage import PriceStore, client_from_environment, connect

HOUR_0 = datetime(2023, 11, 14, 22, 0, tzinfo=timezone.utc)
HOUR_1 = datetime(2023, 11, 14, 23, 0, tzinfo=timezone.utc)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


def test_prices_are_written_with_second_precision(influx):
    client = connect(url=influx.url)
    try:
        written = PriceStore(client).store_prices("DK1", [(HOUR_0, 87.5), (HOUR_1, 91.25)])
    finally:
        client.close()

    assert written == 2
    assert influx.lines() == [
        "day_ahead_price,area=DK1 eur_per_mwh=87.5 1699999200",
        "day_ahead_price,area=DK1 eur_per_mwh=91.25 1700002800",
    ]
    assert influx.writes()[0].params == {"org": "homeiq", "bucket": "electricity_prices", "precision": "s"}


@pytest.mark.manual_migration(reason="INF107: InfluxDBClient3.from_env() reads INFLUX_HOST/INFLUX_TOKEN/INFLUX_DATABASE",
                              raises="Missing required environment variables")
def test_production_client_is_configured_from_the_environment(influx, monkeypatch):
    monkeypatch.setenv("INFLUXDB_V2_URL", influx.url)
    monkeypatch.setenv("INFLUXDB_V2_TOKEN", "prod-token")
    monkeypatch.setenv("INFLUXDB_V2_ORG", "homeiq")

    client = client_from_environment()
    try:
        PriceStore(client).store_prices("DK2", [(HOUR_0, 70.0)])
    finally:
        client.close()

    assert influx.writes()[0].headers["authorization"] == "Token prod-token"
