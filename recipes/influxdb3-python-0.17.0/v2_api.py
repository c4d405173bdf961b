"""What the v2 client (influxdb-client 1.x) offers and where each piece lands in influxdb3-python."""
from __future__ import annotations

V2_PACKAGE = "influxdb_client"
V3_PACKAGE = "influxdb_client_3"
V2_DISTRIBUTION = "influxdb-client"
TARGET_PACKAGE = "influxdb3-python"
TARGET_SPEC = "==0.17.0"

# v2 name -> name exported by influxdb_client_3 (checked against 0.17.0's __init__).
MOVED_NAMES = {
    "InfluxDBClient": "InfluxDBClient3",
    "Point": "Point",
    "WritePrecision": "WritePrecision",
    "InfluxDBError": "InfluxDBError",
    "SYNCHRONOUS": "SYNCHRONOUS",
    "ASYNCHRONOUS": "ASYNCHRONOUS",
    "WriteOptions": "WriteOptions",
    "WriteType": "WriteType",
    "PointSettings": "PointSettings",
}
# v2 names whose v3 counterpart lives in a submodule of influxdb_client_3 (checked on 0.17.0):
# writes raise write_client.rest.ApiException, a subclass of the public InfluxDBError with the same
# status/reason/body/headers attributes as v2's, so `except ApiException as e: e.status` keeps working.
MOVED_TO_SUBMODULE = {
    "ApiException": "influxdb_client_3.write_client.rest",
}
CLIENT = "InfluxDBClient"
ASYNC_CLIENT = "InfluxDBClientAsync"
# Names that only configure a write_api(); unused once the synchronous write APIs are rewritten.
WRITE_OPTION_NAMES = ("SYNCHRONOUS", "WriteOptions", "WriteType")

CLIENT_POSITIONAL = ("url", "token", "debug", "timeout", "enable_gzip", "org", "default_tags")
# Keywords InfluxDBClient3 passes unchanged to its HTTP client (libraries.md, 0.17.0 API); default_tags
# observed on 0.17.0: InfluxDBClient3(default_tags={"site": "lab"}) writes Point("m") as "m,site=lab ...".
CLIENT_PASSTHROUGH = frozenset({
    "default_tags", "token", "org", "debug", "enable_gzip", "gzip_threshold", "verify_ssl", "ssl_ca_cert", "cert_file",
    "cert_key_file", "cert_key_password", "ssl_context", "proxy", "proxy_headers",
    "connection_pool_maxsize", "auth_basic", "username", "password", "retries",
})
# Public attributes of the v2 client that InfluxDBClient3 only keeps privately (_org, _token, ...).
CLIENT_FIELDS = frozenset({"url", "org", "token", "default_tags"})
WRITE_POSITIONAL = ("bucket", "org", "record", "write_precision")
DATAFRAME_WRITE_KEYWORDS = ("data_frame_measurement_name", "data_frame_tag_columns",
                            "data_frame_timestamp_column", "data_frame_timestamp_timezone")

QUERY_API = "query_api"
QUERY_METHODS = frozenset({"query", "query_stream", "query_csv", "query_raw",
                           "query_data_frame", "query_data_frame_stream"})
DATAFRAME_QUERY_METHODS = frozenset({"query_data_frame", "query_data_frame_stream"})
DELETE_API = "delete_api"
MANAGEMENT_APIS = frozenset({"buckets_api", "tasks_api", "organizations_api", "users_api",
                             "authorizations_api", "labels_api", "invokable_scripts_api"})
HEALTH_METHODS = frozenset({"ping", "health", "ready", "version"})
API_FACTORIES = frozenset({"write_api", "query_api", "delete_api", *MANAGEMENT_APIS})
ENV_FACTORY = "from_env_properties"
V3_ENV_FACTORY = "from_env"  # InfluxDBClient3's only factory (0.17.0)
CONFIG_FILE_FACTORY = "from_config_file"  # no v3 counterpart
WRITE_API = "write_api"
WRITE_API_METHODS = frozenset({"write", "flush", "close"})

ENV_VARIABLES = {
    "INFLUXDB_V2_URL": "INFLUX_HOST",
    "INFLUXDB_V2_TOKEN": "INFLUX_TOKEN",
    "INFLUXDB_V2_ORG": "INFLUX_ORG",
    "INFLUXDB_V2_TIMEOUT": "INFLUX_WRITE_TIMEOUT / INFLUX_QUERY_TIMEOUT",
}


def is_v2_module(dotted: str | None) -> bool:
    return dotted is not None and (dotted == V2_PACKAGE or dotted.startswith(V2_PACKAGE + "."))
