from relayq.relay import DoorEvent, DoorRelay, parse

__all__ = ["DoorEvent", "DoorRelay", "parse"]
