import os
from dataclasses import dataclass, field


@dataclass
class Settings:
    influx_url: str = field(default_factory=lambda: os.environ.get("TELEMETRY_INFLUX_URL", "http://localhost:8086"))
    influx_token: str = "telemetry"
    influx_org: str = "plant"
    bucket: str = "telemetry"
