import pytest
from fake_influx import FakeInflux

from telemetry_writer import Settings, TelemetryStore


@pytest.fixture
def influx():
    with FakeInflux() as server:
        yield server


@pytest.fixture
def store(influx):
    s = TelemetryStore(Settings(influx_url=influx.url))
    yield s
    s.close()
