from collections import Counter

BACKOFFS = Counter()


def counted(name, wait):
    """Wraps a tenacity wait so every back-off shows up on the dashboard under `name`."""

    def _wait(retry_state):
        BACKOFFS[name] += 1
        return wait(retry_state)

    return _wait
