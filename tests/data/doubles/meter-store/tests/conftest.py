from unittest import mock

import pytest

URL = "http://127.0.0.1:8086"


@pytest.fixture(name="influx")
def influx_client():
    """The client the store builds, patched where the store looks it up (autospec: only real members)."""
    with mock.patch("meter_store.storage.InfluxDBClient", autospec=True) as client_class:
        client = mock.MagicMock()
        client_class.return_value = client
        yield client


@pytest.fixture
def write_api(influx):
    api = mock.MagicMock()
    influx.write_api.return_value = api
    return api
