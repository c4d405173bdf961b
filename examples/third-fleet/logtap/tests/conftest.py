import pytest
from influxdb_client import InfluxDBClient

from logtap import LogShipper


@pytest.fixture
def write_api(mocker):
    return mocker.MagicMock(name="write_api")


@pytest.fixture
def client(mocker, write_api):
    client = mocker.MagicMock(spec=InfluxDBClient)
    client.write_api.return_value = write_api
    return client


@pytest.fixture
async def shipper(client):
    shipper = LogShipper(client, "logs", batch_size=2)
    yield shipper
    await shipper.flush()


def record(n=0, level="info"):
    return {"service": "billing", "level": level, "message": f"invoice {n} sent"}
