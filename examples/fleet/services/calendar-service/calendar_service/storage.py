"""Keeps a time series of calendar events so occupancy dashboards can plot busy hours."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import SYNCHRONOUS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InfluxSettings:
    url: str = "http://127.0.0.1:8086"
    token: str = "calendar-token"
    org: str = "homeiq"
    bucket: str = "calendar"
    timeout_ms: int = 5_000


@dataclass(frozen=True)
class CalendarEvent:
    calendar: str
    title: str
    starts_at: datetime
    duration_min: int


class CalendarEventStore:
    def __init__(self, settings: InfluxSettings) -> None:
        self._settings = settings
        self._client = InfluxDBClient(
            url=settings.url,
            token=settings.token,
            org=settings.org,
            timeout=settings.timeout_ms,
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def record_event(self, event: CalendarEvent) -> bool:
        """False when InfluxDB refuses the point; the calendar sync must not stop for metrics."""
        point = (
            Point("calendar_event")
            .tag("calendar", event.calendar)
            .field("title", event.title)
            .field("duration_min", event.duration_min)
            .time(event.starts_at, WritePrecision.S)
        )
        try:
            self._write_api.write(bucket=self._settings.bucket, record=point)
        except InfluxDBError as error:
            log.warning("event %r not stored: %s", event.title, error)
            return False
        return True

    def close(self) -> None:
        self._write_api.close()
        self._client.close()
