from .client import InventoryClient


class Warehouse:
    """Stock levels for the shop front, with how hard the upstream made us work for them."""

    def __init__(self, transport):
        self.client = InventoryClient(transport)

    def stock(self, sku):
        level = self.client.fetch(sku)
        return level, self.client.fetch.retry.statistics["attempt_number"]
