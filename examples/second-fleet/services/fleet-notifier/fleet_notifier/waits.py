from tenacity.wait import wait_base


class RecordingWait(wait_base):
    """A fixed back-off that remembers every delay it handed out (exported as a histogram)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.delays = []

    def __call__(self, retry_state):
        self.delays.append(self.seconds)
        return self.seconds
