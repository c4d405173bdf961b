from .hub import SensorHub
from .sink import InfluxSink
