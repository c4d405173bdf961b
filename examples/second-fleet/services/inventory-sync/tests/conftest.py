import pytest

from inventory_sync import InventoryClient, TransientError


class FlakyTransport:
    """Fails the first `failures` calls of each kind, then answers."""

    def __init__(self, failures=2):
        self.failures = failures
        self.calls = 0

    def _maybe_fail(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientError("503 from upstream")

    def get(self, sku):
        self._maybe_fail()
        return {"sku": sku, "level": 5}["level"]

    async def reserve(self, sku, quantity):
        self._maybe_fail()
        return f"{sku}:{quantity}"


@pytest.fixture
def transport():
    return FlakyTransport()


@pytest.fixture
def client(transport):
    return InventoryClient(transport)
