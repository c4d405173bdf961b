import pytest
from archive_server import ArchiveServer
from influxdb_client import InfluxDBClient

from energy_archive import Archive


@pytest.fixture(scope="module")
def server():
    s = ArchiveServer()
    yield s
    s.shutdown()


@pytest.fixture(scope="module")
async def archive(server):
    client = InfluxDBClient(url=server.url, token="archive", org="energy", retries=0)
    yield Archive(client)
    client.close()


@pytest.fixture(autouse=True)
def fresh(server):
    server.lines.clear()
    server.refuse = False
