import datetime as dt
from unittest import mock

import pytest

from meterlog import MeterSink

AT = dt.datetime(2024, 5, 1, 6, 30, tzinfo=dt.timezone.utc)


@pytest.mark.manual_migration(
    reason="DBL003 (influxdb3-python-0.17.0): the migrated client is also given database=, which this expects not")
@mock.patch("meterlog.adapter.InfluxDBClient", autospec=True)
def test_client_is_built_from_the_settings(client_cls):
    MeterSink("http://influx.grid.local:8086", "t0ken", "grid", "meters")

    client_cls.assert_called_once_with(url="http://influx.grid.local:8086", token="t0ken", org="grid")


@mock.patch("meterlog.adapter.InfluxDBClient", autospec=True)
def test_a_reading_goes_to_the_configured_bucket(client_cls):
    sink = MeterSink("http://influx.grid.local:8086", "t0ken", "grid", "meters")

    sink.record("m-17", 3.25, AT)

    write = client_cls.return_value.write_api.return_value.write
    assert write.call_count == 1
    assert write.call_args.kwargs["bucket"] == "meters"
    assert write.call_args.kwargs["record"].to_line_protocol() == "energy,meter=m-17 kwh=3.25 1714545000"


@mock.patch("meterlog.adapter.InfluxDBClient", autospec=True)
def test_a_dropped_connection_is_retried(client_cls):
    sink = MeterSink("http://influx.grid.local:8086", "t0ken", "grid", "meters")
    client_cls.return_value.write_api.return_value.write.side_effect = [ConnectionError("reset by peer"), None]

    sink.record("m-17", 1.0, AT)

    assert sink.attempts_of_last_send() == 2


@mock.patch("meterlog.adapter.InfluxDBClient", autospec=True)
def test_a_dead_link_gives_up_after_the_policy(client_cls):
    sink = MeterSink("http://influx.grid.local:8086", "t0ken", "grid", "meters")
    client_cls.return_value.write_api.return_value.write.side_effect = ConnectionError("unreachable")

    with pytest.raises(ConnectionError):
        sink.record("m-17", 1.0, AT)
    assert sink.attempts_of_last_send() == 4


def test_a_reading_reaches_influx(influx_capture):
    sink = MeterSink(influx_capture.url, "t0ken", "grid", "meters")
    try:
        sink.record("m-2", 0.5, AT)
    finally:
        sink.close()

    (params, body), = influx_capture
    assert params["bucket"] == "meters" and params["precision"] == "s"
    assert body == "energy,meter=m-2 kwh=0.5 1714545000"
