from relayq import DoorEvent, parse


def test_a_state_message_becomes_an_event():
    assert parse("doors/north/d12/state", b'{"state": "open"}') == DoorEvent("north", "d12", "open")
