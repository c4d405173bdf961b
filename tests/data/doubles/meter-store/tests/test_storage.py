from unittest import mock

import pytest

from meter_store.storage import ReadingStore

from .conftest import URL


def test_record_writes_one_point(influx, write_api):
    ReadingStore(URL, "token", "org", "meters").record("m-1", 12.5)
    assert write_api.write.called
    assert write_api.write.call_args.kwargs["bucket"] == "meters"
    line = write_api.write.call_args.kwargs["record"].to_line_protocol()
    assert line.startswith("power,meter=m-1 watts=12.5")


def test_record_through_the_class_mock(mocker):
    client_class = mocker.patch("meter_store.storage.InfluxDBClient")
    ReadingStore(URL, "token", "org", "meters").record("m-2", 1.0)
    write = client_class.return_value.write_api.return_value.write
    write.assert_called_once()
    assert write.call_args.kwargs["bucket"] == "meters"


@mock.patch("meter_store.storage.InfluxDBClient")
def test_close_closes_the_client(client_class):
    store = ReadingStore(URL, "token", "org", "meters")
    store.close()
    client_class.return_value.close.assert_called_once_with()


@pytest.mark.manual_migration
@mock.patch("meter_store.storage.InfluxDBClient")
def test_client_is_built_from_settings(client_class):
    ReadingStore(URL, "token", "org", "meters")
    client_class.assert_called_once_with(url=URL, token="token", org="org")
