from .settings import Settings
from .store import TelemetryStore, write_reading

__all__ = ["Settings", "TelemetryStore", "write_reading"]
