from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed


class TransientError(Exception):
    """The upstream inventory API timed out or answered 503."""


class InventoryClient:
    def __init__(self, transport):
        self.transport = transport

    @retry(stop=stop_after_attempt(3), wait=wait_fixed(0.01), retry=retry_if_exception_type(TransientError),
           reraise=True)
    def fetch(self, sku):
        return self.transport.get(sku)

    @retry(stop=stop_after_attempt(4), wait=wait_fixed(0.01), retry=retry_if_exception_type(TransientError))
    async def reserve(self, sku, quantity):
        return await self.transport.reserve(sku, quantity)
