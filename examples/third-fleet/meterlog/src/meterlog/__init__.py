"""Electricity meter readings to InfluxDB."""
from meterlog.adapter import MeterSink
from meterlog.retrying import DEFAULT_POLICY, RetryPolicy

__all__ = ["DEFAULT_POLICY", "MeterSink", "RetryPolicy"]
