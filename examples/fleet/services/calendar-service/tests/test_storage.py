from dataclasses import replace
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from calendar_service.storage import CalendarEvent, CalendarEventStore, InfluxSettings

STANDUP = CalendarEvent("team", "stand-up", datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc), 15)


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def event_store(influx):
    store = CalendarEventStore(replace(InfluxSettings(), url=influx.url))
    yield store
    store.close()


def test_event_is_written_to_the_calendar_bucket(influx, event_store):
    assert event_store.record_event(STANDUP) is True

    (write,) = influx.writes()
    assert write.params["bucket"] == "calendar"
    assert write.body == 'calendar_event,calendar=team duration_min=15i,title="stand-up" 1700000000'


def test_rejected_write_is_reported_not_raised(influx, event_store):
    influx.reject_writes(400, "field type conflict: duration_min is float")

    assert event_store.record_event(STANDUP) is False
    assert len(influx.writes()) == 1
