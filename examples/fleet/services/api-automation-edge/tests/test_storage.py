from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer

from api_automation_edge.storage import RunRecorder


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
def recorder(influx):
    run_recorder = RunRecorder(url=influx.url)
    yield run_recorder
    run_recorder.close()


def test_run_is_recorded(influx, recorder):
    recorder.record_run("porch-lights", True, 0.25, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))

    assert influx.lines() == ["automation_run,automation=porch-lights duration_s=0.25,succeeded=true 1700000000"]
    assert influx.writes()[0].params == {"org": "edge", "bucket": "automation_runs", "precision": "s"}
    assert influx.writes()[0].headers["authorization"] == "Token edge-token"


def test_delivery_lines_are_written_verbatim(influx, recorder):
    lines = ["webhook_delivery,host=hooks.example status=204i,attempts=2i"]

    assert recorder.record_delivery_lines(lines) is True
    assert influx.lines() == lines


def test_rejected_delivery_batch_is_dropped(influx, recorder):
    influx.reject_writes(422, "unable to parse 'webhook_delivery status=': missing field value")

    assert recorder.record_delivery_lines(["webhook_delivery status="]) is False
