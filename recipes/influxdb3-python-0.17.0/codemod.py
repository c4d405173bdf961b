"""influxdb-client (v2 API) -> influxdb3-python 0.17.0 (facts: shared reference, libraries.md section 3).

Safety rule above all others: InfluxDBClient3 silently drops a v2 Point (nothing sent, no error). So the
client never moves unless every v2 import in the service can move with it; when one cannot (star import,
dynamic import, module object passed around, unparsable file, the async client, from_config_file()) no code
is changed and the blocking sites are listed (service_facts.InfluxService.blocked).

No half migration (INF112, kept_clients.py): a client used where it is built in a way InfluxDBClient3 cannot
(query_api(), delete_api(), ping(), a write_api() left as it is) stays on influxdb-client, since migrated it
would fail before any migrated use ran (a constructor calling query_api(): the class could not even be
constructed for writing). Both packages stay declared and the blocking uses are listed; a kept client that
writes keeps Point on v2, so then nothing in the service moves.

The rules read facts decided once per service (service_facts, module_facts, write_flow, api_uses) and none
edits what another decides, except INF005, which appends to the arguments INF004 rebuilt (its AFTER says
so). Their order sets the order of the PR's notes: influxdb-client kept (INF010, from begin_service), the
imports (INF001), the writes (INF006), the Flux queries (INF101).
"""
from __future__ import annotations

from bot.change.doubles import migration_rules
from bot.change.engine import RuleCodemod, ServiceRun

from .api_rules import AsyncClient, DeleteApi, FluxQuery, HealthCheck, ManagementApi
from .client_rules import ClientClass, ConstructorArgument, EnvConfig, FromEnv, Timeout, UnverifiedUrl, UrlToHost
from .database_rule import Database
from .half_migration_rule import NoHalfMigration
from .import_rules import MoveImports, NoV3Equivalent
from .requirement_rules import PandasExtra, V2Kept
from .service_facts import MENTIONS, InfluxService
from .write_rules import BatchingWrite, SyncWrite, WriteApiEscapes, WriteApiLifecycle


class InfluxDB3Codemod(RuleCodemod):
    MENTIONS = MENTIONS
    RULES = (
        MoveImports,          # INF001
        ClientClass,          # INF002
        UrlToHost,            # INF003
        Timeout,              # INF004
        Database,             # INF005
        SyncWrite,            # INF006
        WriteApiLifecycle,    # INF007
        PandasExtra,          # INF008
        FromEnv,              # INF009
        V2Kept,               # INF010
        FluxQuery,            # INF101
        DeleteApi,            # INF102
        ManagementApi,        # INF103
        BatchingWrite,        # INF104
        HealthCheck,          # INF105
        AsyncClient,          # INF106
        EnvConfig,            # INF107
        UnverifiedUrl,        # INF108
        ConstructorArgument,  # INF109
        WriteApiEscapes,      # INF110
        NoV3Equivalent,       # INF111
        NoHalfMigration,      # INF112
        *migration_rules(__file__),  # tests follow migration.toml (DBL001-DBL003), import audit (AUD001): last
    )

    def files_to_read(self, run: ServiceRun) -> list[str]:
        """Those mentioning the client, and the helper modules and importers its write APIs move into."""
        return sorted({*run.analysis.files_mentioning(*MENTIONS), *run.fact(InfluxService, run.analysis).flow.modules})

    def unparsable(self, run: ServiceRun, path: str, error: str) -> None:
        """Listed by INF111 when the file mentions influxdb_client (it blocks the move); else nothing to say."""
