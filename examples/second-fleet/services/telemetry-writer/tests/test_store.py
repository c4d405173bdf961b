from datetime import datetime, timezone

from telemetry_writer import Settings

TS = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_reading_becomes_one_line(influx, store):
    store.save({"sensor": "boiler-1", "values": {"temp": 71.5, "pressure": 2}, "ts": TS})

    assert influx.lines() == ["reading,sensor=boiler-1 pressure=2i,temp=71.5 1709294400"]
    params = influx.writes[0][0]
    assert params["bucket"] == "telemetry" and params["precision"] == "s"


def test_save_many_reports_attempts(influx, store):
    readings = [{"sensor": f"s{n}", "values": {"v": n}, "ts": TS} for n in range(3)]

    assert store.save_many(readings) == 1
    assert len(influx.lines()) == 3


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("TELEMETRY_INFLUX_URL", "http://influx.internal:8086")
    assert Settings().influx_url == "http://influx.internal:8086"
