"""Requirements the code needs once migrated: influxdb3-python[pandas] for DataFrames (INF008), and
influxdb-client kept while code still imports it (INF010), so a PR never ships an ImportError."""
from __future__ import annotations

from bot.change.rule import REWRITE, Invalid, Valid
from bot.model import RequirementEdit

from . import v2_api
from .service_facts import InfluxRule, declared_v2, requirements_file


class PandasExtra(InfluxRule):
    ID = "INF008"
    KIND = REWRITE
    MESSAGE = "requirements: influxdb3-python[pandas] when DataFrames are queried or written"
    APPLIED = "influxdb3-python[pandas]: DataFrames are queried or written"
    VALID = [Valid({"requirements.txt": "influxdb-client==1.50.0\n", "app.py": """
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        """})]
    INVALID = [Invalid({"requirements.txt": "influxdb-client==1.50.0\n", "app.py": """
        from influxdb_client import InfluxDBClient

        def frame(client: InfluxDBClient):
            return client.query_api().query_data_frame('from(bucket: "b") |> range(start: -1h)')
        """}, requires=["set influxdb3-python[pandas]==0.17.0"])]

    def end_service(self) -> None:
        if not self.blocked and self.service.dataframes:
            self.require(RequirementEdit(action="set", package=v2_api.TARGET_PACKAGE, spec=v2_api.TARGET_SPEC,
                                         extras=("pandas",)))
            self.count(path=requirements_file(self.files))


class V2Kept(InfluxRule):
    ID = "INF010"
    KIND = REWRITE
    MESSAGE = "requirements: influxdb-client stays declared while the service still imports influxdb_client"
    VALID = [Valid({"requirements.txt": "influxdb-client==1.50.0\n", "app.py": """
        from influxdb_client import InfluxDBClient, Point

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        """})]
    INVALID = [
        Invalid({"requirements.txt": "influxdb-client==1.50.0\n", "app.py": """
            from influxdb_client import InfluxDBClient, BucketRetentionRules

            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
            """}, requires=["add influxdb-client==1.50.0"], name="a name with no v3 counterpart stays imported"),
        Invalid({"requirements.txt": "influxdb-client[async]>=1.40\n", "app.py": """
            from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
            """}, requires=["add influxdb-client[async]>=1.40"], name="a blocked service keeps it, extras too"),
    ]

    def begin_service(self) -> None:
        # Here, not at the end: its note leads the PR's notes (the others say what moved).
        service = self.service
        importing = service.blocking_files or service.kept_v2_files
        if not importing:
            return
        spec, extras = declared_v2(self.files)
        self.require(RequirementEdit(action="add", package=v2_api.V2_DISTRIBUTION, spec=spec, extras=extras))
        self.count(path=requirements_file(self.files),
                   description=f"{v2_api.V2_DISTRIBUTION}{spec} kept next to {v2_api.TARGET_PACKAGE}: still imported")
        self.note(f"{v2_api.V2_DISTRIBUTION} stays declared next to {v2_api.TARGET_PACKAGE}: the service still imports "
                  f"influxdb_client in {', '.join(importing)} (see the checklist); remove it once those imports are gone.")
