"""InfluxDB connection settings of the ingestion service (overridden per environment by the deployer)."""

INFLUX_URL = "http://127.0.0.1:8086"
INFLUX_TOKEN = "ingestion-token"
INFLUX_ORG = "homeiq"
STATE_BUCKET = "home_assistant_states"
