"""Mocks put straight onto names by plain assignment, with no patcher to undo them: onto the store module's client
name (in a unittest setUp and in a fixture, each restoring it by hand), onto the v2 write API's class itself (the
migrated store no longer calls it: listed), and onto the store's own method (nothing to migrate)."""
import unittest
from unittest import mock

import pytest

from meter_store import storage
from meter_store.storage import ReadingStore

URL = "http://127.0.0.1:8086"


class AssignedInSetUpTest(unittest.TestCase):
    def setUp(self):
        self.original = storage.InfluxDBClient
        self.addCleanup(self.restore)
        storage.InfluxDBClient = mock.MagicMock()

    def restore(self):
        storage.InfluxDBClient = self.original

    def test_reading_goes_to_the_bucket(self):
        ReadingStore(URL, "token", "org", "meters").record("m-1", 1.0)
        write = storage.InfluxDBClient.return_value.write_api.return_value.write
        self.assertEqual(write.call_args.kwargs["bucket"], "meters")


@pytest.fixture
def client_class():
    original = storage.InfluxDBClient
    storage.InfluxDBClient = mock.MagicMock()
    yield storage.InfluxDBClient
    storage.InfluxDBClient = original


def test_readings_through_an_assigned_fixture(client_class):
    ReadingStore(URL, "token", "org", "meters").record("m-2", 2.0)
    kwargs = client_class.return_value.write_api.return_value.write.call_args.kwargs
    assert kwargs["bucket"] == "meters"
    assert kwargs["record"].to_line_protocol().startswith("power,meter=m-2")


@pytest.mark.manual_migration
def test_the_write_api_class_itself_is_mocked():
    from influxdb_client.client.write_api import WriteApi

    original = WriteApi.write
    WriteApi.write = mock.Mock()
    try:
        ReadingStore(URL, "token", "org", "meters").record("m-3", 3.0)
        kwargs = WriteApi.write.call_args.kwargs
        assert kwargs["bucket"] == "meters"
    finally:
        WriteApi.write = original


def test_the_stores_own_method_is_replaced(client_class):
    original = ReadingStore.close
    ReadingStore.close = mock.Mock()
    try:
        ReadingStore(URL, "token", "org", "meters").close()
        ReadingStore.close.assert_called_once_with()
    finally:
        ReadingStore.close = original
