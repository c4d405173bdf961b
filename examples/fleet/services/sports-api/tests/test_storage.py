import asyncio
from datetime import datetime, timezone

import pytest
from influx_server import InfluxCaptureServer, flux_csv

from sports_api.storage import FinalScore, ScoreHistory

LAKERS_WIN = FinalScore("nba-1", "lakers", "celtics", 112, 104, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))
CELTICS_LOSS = FinalScore("nba-1", "celtics", "lakers", 104, 112, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))


@pytest.fixture
def influx():
    with InfluxCaptureServer() as server:
        yield server


@pytest.fixture
async def score_history(influx):
    history = ScoreHistory(url=influx.url)
    yield history
    await asyncio.to_thread(history.close)


async def test_final_score_is_written_from_async_code(influx, score_history):
    await score_history.record_async(LAKERS_WIN)

    assert influx.lines() == [
        'final_score,opponent=celtics,team=lakers game_id="nba-1",points_against=104i,points_for=112i 1700000000'
    ]


async def test_both_sides_of_a_game_are_written_concurrently(influx, score_history):
    await asyncio.gather(score_history.record_async(LAKERS_WIN), score_history.record_async(CELTICS_LOSS))

    assert sorted(line.split(" ")[0] for line in influx.lines()) == [
        "final_score,opponent=celtics,team=lakers",
        "final_score,opponent=lakers,team=celtics",
    ]
    assert {write.params["bucket"] for write in influx.writes()} == {"sports"}


@pytest.mark.manual_migration(reason="INF101: Flux query; InfluxDB 3 needs SQL", raises="query_api")
def test_recent_points_are_read_newest_first(influx, score_history):
    influx.flux_csv = flux_csv([
        {"_time": "2023-11-14T22:13:20Z", "_value": 112, "_field": "points_for", "_measurement": "final_score",
         "team": "lakers"},
        {"_time": "2023-11-12T22:13:20Z", "_value": 99, "_field": "points_for", "_measurement": "final_score",
         "team": "lakers"},
    ])

    assert score_history.recent_points_for("lakers", games=2) == [112, 99]
    assert "limit(n: 2)" in influx.requests_to("/api/v2/query")[0].body
