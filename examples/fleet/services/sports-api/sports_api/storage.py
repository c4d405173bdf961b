"""History of final scores per team, written when a game ends and read for the team page."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

DEFAULT_URL = "http://127.0.0.1:8086"


@dataclass(frozen=True)
class FinalScore:
    game_id: str
    team: str
    opponent: str
    points_for: int
    points_against: int
    ended_at: datetime


class ScoreHistory:
    def __init__(self, url: str = DEFAULT_URL, token: str = "sports-token", org: str = "homeiq",
                 bucket: str = "sports") -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org)
        self._bucket = bucket
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def record(self, score: FinalScore) -> None:
        point = (
            Point("final_score")
            .tag("team", score.team)
            .tag("opponent", score.opponent)
            .field("game_id", score.game_id)
            .field("points_for", score.points_for)
            .field("points_against", score.points_against)
            .time(score.ended_at, WritePrecision.S)
        )
        self._write_api.write(bucket=self._bucket, record=point)

    async def record_async(self, score: FinalScore) -> None:
        """The API handlers are async; the InfluxDB client is blocking."""
        await asyncio.to_thread(self.record, score)

    def recent_points_for(self, team: str, games: int = 5) -> list[int]:
        query = (
            f'from(bucket: "{self._bucket}") |> range(start: -30d) '
            f'|> filter(fn: (r) => r._measurement == "final_score" and r._field == "points_for" and r.team == "{team}") '
            f"|> sort(columns: [\"_time\"], desc: true) |> limit(n: {games})"
        )
        tables = self._client.query_api().query(query)
        return [int(record.get_value()) for table in tables for record in table.records]

    def close(self) -> None:
        self._client.close()
