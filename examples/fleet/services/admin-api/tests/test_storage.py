import asyncio
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from admin_api.storage import AuditTrail


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
async def audit_trail(influx):
    trail = AuditTrail(url=influx.url)
    yield trail
    await asyncio.to_thread(trail.close)


async def test_change_is_audited_from_async_handlers(influx, audit_trail):
    await audit_trail.record_change_async("alice", "theme", "light", "dark")

    (line,) = influx.lines()
    assert line.startswith('setting_change,actor=alice,key=theme new="\\"dark\\"",old="\\"light\\"" ')
    assert influx.writes()[0].params == {"org": "homeiq", "bucket": "admin_audit", "precision": "ms"}


async def test_concurrent_changes_are_all_audited(influx, audit_trail):
    await asyncio.gather(*(audit_trail.record_change_async("bob", f"flag-{n}", False, True) for n in range(5)))

    assert sorted(line.split(" ")[0] for line in influx.lines()) == [
        f"setting_change,actor=bob,key=flag-{n}" for n in range(5)
    ]


def test_explicit_timestamp_is_kept_to_the_millisecond(influx, audit_trail):
    at = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)

    audit_trail.record_change("carol", "limit", 10, 20, at=at)

    assert influx.lines()[0].endswith(" 1700000000123")
