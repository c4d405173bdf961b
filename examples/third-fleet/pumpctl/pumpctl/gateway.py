class Gateway:
    """The vendor's HTTP gateway (the real one lives in the site agent)."""

    def send(self, pump_id, command):
        raise NotImplementedError
