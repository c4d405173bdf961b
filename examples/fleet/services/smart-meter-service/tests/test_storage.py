import pytest
from influx_server import InfluxCaptureServer

from smart_meter_service.storage import MeterReading, MeterRecorder, open_client


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def recorder(influx):
    client = open_client(url=influx.url)
    yield MeterRecorder(client)
    client.close()


def test_reading_is_written_with_millisecond_precision(influx, recorder):
    recorder.record(MeterReading("E0025", import_kwh=10234.5, export_kwh=812.25, timestamp_ms=1700000000123))

    (write,) = influx.writes()
    assert write.params == {"org": "homeiq", "bucket": "smart_meter", "precision": "ms"}
    assert write.body == "meter,meter_id=E0025 export_kwh=812.25,import_kwh=10234.5 1700000000123"


@pytest.mark.manual_migration(reason="INF105: ping() -> get_server_version()", raises="ping")
def test_reachability_check_pings_the_server(influx, recorder):
    assert recorder.database_reachable() is True
    assert [r.path for r in influx.requests] == ["/ping"]
