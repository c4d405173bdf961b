"""The calls the store made, read back the ways unittest.mock records them: loops over call_args_list (with and
without unpacking), comprehensions, an indexed call, `"k" in kwargs`, and the module-object patch forms."""
import unittest
from unittest import mock

from meter_store import storage
from meter_store.storage import ReadingStore

URL = "http://127.0.0.1:8086"


class RecordedCallsTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.object(storage, "InfluxDBClient")
        self.client_class = patcher.start()
        self.addCleanup(patcher.stop)

    def test_every_reading_goes_to_the_bucket(self):
        store = ReadingStore(URL, "token", "org", "meters")
        for meter in ("m-1", "m-2", "m-3"):
            store.record(meter, 1.0)
        write = self.client_class.return_value.write_api.return_value.write
        self.assertEqual(write.call_count, 3)
        for _args, kwargs in write.call_args_list:
            self.assertEqual(kwargs["bucket"], "meters")
        self.assertEqual({c.kwargs["bucket"] for c in write.call_args_list}, {"meters"})
        self.assertTrue(all("bucket" in c.kwargs for c in write.call_args_list))
        first = write.call_args_list[0]
        self.assertEqual(first[1]["bucket"], "meters")
        self.assertEqual(first.kwargs.get("bucket"), "meters")


def test_readings_in_order_through_mocker(mocker):
    client_class = mocker.patch.object(storage, "InfluxDBClient")
    store = ReadingStore(URL, "token", "org", "meters")
    store.record("m-1", 2.0)
    store.record("m-2", 3.0)
    write = client_class.return_value.write_api.return_value.write
    lines = [c.kwargs["record"].to_line_protocol() for c in write.call_args_list]
    assert [line.split(" ")[0] for line in lines] == ["power,meter=m-1", "power,meter=m-2"]
    assert all(c == mocker.call(bucket="meters", record=mocker.ANY) for c in write.call_args_list)


def test_the_store_is_replaced_with_monkeypatch(monkeypatch):
    client_class = mock.MagicMock()
    monkeypatch.setattr(storage, "InfluxDBClient", client_class)
    ReadingStore(URL, "token", "org", "meters").record("m-9", 9.0)
    (_, kwargs), = client_class.return_value.write_api.return_value.write.call_args_list
    assert kwargs["bucket"] == "meters"
