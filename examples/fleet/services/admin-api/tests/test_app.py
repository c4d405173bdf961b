import asyncio

import pytest

from admin_api.app import AuditEntry, VersionConflict


async def test_update_bumps_the_version(settings):
    version, _ = await settings.get_all()
    assert await settings.update("ops@home", version, {"retention_days": 14}) == 1
    assert (await settings.get_all())[1]["retention_days"] == 14


async def test_stale_write_is_rejected(settings):
    await settings.update("alice", 0, {"maintenance_mode": True})
    with pytest.raises(VersionConflict):
        await settings.update("bob", 0, {"maintenance_mode": False})


async def test_only_real_changes_are_audited(settings):
    await settings.update("alice", 0, {"retention_days": 30, "ingest_batch_size": 1000})
    assert settings.audit == [AuditEntry("alice", "ingest_batch_size", 500, 1000)]


async def test_unknown_setting_is_refused(settings):
    with pytest.raises(KeyError, match="colour"):
        await settings.update("alice", 0, {"colour": "red"})


async def test_racing_writers_one_wins(settings):
    results = await asyncio.gather(settings.update("a", 0, {"retention_days": 7}),
                                   settings.update("b", 0, {"retention_days": 9}), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["VersionConflict", "int"]
