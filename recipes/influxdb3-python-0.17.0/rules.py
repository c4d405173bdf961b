"""Stable rule ids of the influxdb3-python recipe (never renumber: PRs and dashboards cite them)."""

# Rewrites the codemod applies.
IMPORTS = "INF001"
CLIENT_CLASS = "INF002"
URL_TO_HOST = "INF003"
TIMEOUT = "INF004"
DATABASE = "INF005"
SYNC_WRITE = "INF006"
WRITE_API_LIFECYCLE = "INF007"
PANDAS_EXTRA = "INF008"
ENV_CONFIG_CALL = "INF009"
V2_KEPT = "INF010"

# Sites left for a human (each one is a ManualItem).
FLUX_QUERY = "INF101"
DELETE_API = "INF102"
MANAGEMENT_API = "INF103"
BATCHING_WRITE = "INF104"
HEALTH_CHECK = "INF105"
ASYNC_CLIENT = "INF106"
ENV_CONFIG = "INF107"
UNVERIFIED_URL = "INF108"
CONSTRUCTOR_ARGUMENT = "INF109"
WRITE_API_ESCAPES = "INF110"
NO_V3_EQUIVALENT = "INF111"

RULES = {
    IMPORTS: "influxdb_client imports move to influxdb_client_3 together (InfluxDBClient3 never without Point)",
    CLIENT_CLASS: "InfluxDBClient -> InfluxDBClient3 (constructor calls, annotations, context managers kept)",
    URL_TO_HOST: "InfluxDBClient(url=U) -> InfluxDBClient3(host=U) (INF108 lists U when its scheme and port are "
                 "not proven)",
    TIMEOUT: "InfluxDBClient(timeout=N) -> InfluxDBClient3(write_timeout=N, query_timeout=N)",
    DATABASE: "database= added to the client when the module writes to a single bucket",
    SYNC_WRITE: "write_api(write_options=SYNCHRONOUS).write(bucket=B, record=R) -> "
                "client.write(record=R, database=B)",
    WRITE_API_LIFECYCLE: "synchronous write_api.flush() -> client.flush(); write_api.close() dropped "
                         "(client.close() covers it)",
    PANDAS_EXTRA: "requirements: influxdb3-python[pandas] when DataFrames are queried or written",
    ENV_CONFIG_CALL: "InfluxDBClient.from_env_properties() -> InfluxDBClient3.from_env() (INF107 lists the "
                     "new variables)",
    V2_KEPT: "requirements: influxdb-client stays declared while the service still imports influxdb_client",
    FLUX_QUERY: "manual: Flux query via query_api() (suggested SQL when the pipeline is simple)",
    DELETE_API: "manual: delete_api() has no InfluxDB 3 equivalent",
    MANAGEMENT_API: "manual: buckets/tasks/organizations/users/authorizations APIs are not in InfluxDBClient3",
    BATCHING_WRITE: "manual: batching/asynchronous write_api() options (v3 mode and callbacks to decide)",
    HEALTH_CHECK: "manual: ping()/health()/ready()/version() -> get_server_version()",
    ASYNC_CLIENT: "manual: InfluxDBClientAsync has no v3 counterpart (blocks the move: v2 drops v3 Points)",
    ENV_CONFIG: "manual: from_env() reads new variables (deployment change); from_config_file() blocks the move",
    UNVERIFIED_URL: "manual: host= (renamed from url=) whose scheme and explicit port could not be verified",
    CONSTRUCTOR_ARGUMENT: "manual: client constructor argument with no verified v3 mapping",
    WRITE_API_ESCAPES: "manual: a write API object used in a way the codemod cannot follow",
    NO_V3_EQUIVALENT: "manual: v2 name or dynamic use of influxdb_client with no v3 equivalent",
}
