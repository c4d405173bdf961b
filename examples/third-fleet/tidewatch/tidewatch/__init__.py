from tidewatch.link import GaugeLink, GaugeOffline

__all__ = ["GaugeLink", "GaugeOffline"]
