from datetime import datetime, timezone

import pytest

from energy_archive import Archive, ArchiveUnavailable

HOUR = datetime(2024, 1, 1, 5, tzinfo=timezone.utc)


async def test_hourly_total_is_archived(server, archive):
    await archive.store_async("m-17", 3.5, HOUR)
    assert server.lines == ["hourly_energy,meter=m-17 kwh=3.5 1704085200"]


async def test_refused_write_is_reported(server, archive):
    server.refuse = True
    with pytest.raises(ArchiveUnavailable, match="archive write failed"):
        await archive.store_async("m-17", 1.0, HOUR)


@pytest.mark.manual_migration(reason="INF111: client.url has no InfluxDBClient3 counterpart")
def test_description_names_the_server(server, archive):
    assert archive.describe() == f"archive energy_archive at {server.url}"


@pytest.mark.manual_migration(reason="INF107: from_env_properties() -> InfluxDBClient3.from_env() with new variables")
def test_configured_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("INFLUXDB_V2_URL", server.url)
    monkeypatch.setenv("INFLUXDB_V2_TOKEN", "archive")
    monkeypatch.setenv("INFLUXDB_V2_ORG", "energy")
    monkeypatch.setenv("ARCHIVE_BUCKET", "cold")
    archive = Archive.from_environment()
    archive.store("m-1", 2.5, HOUR)
    assert archive.bucket == "cold" and server.lines == ["hourly_energy,meter=m-1 kwh=2.5 1704085200"]
