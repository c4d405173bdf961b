"""Recipe: influxdb-client (v2 API) -> influxdb3-python 0.17.0."""
