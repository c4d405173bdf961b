import pytest
from conftest import FlakyTransport
from tenacity import RetryError, retry, stop_after_attempt, wait_none

from inventory_sync import InventoryClient, TransientError, Warehouse


def test_fetch_retries_transient_errors(client):
    assert client.fetch("A-1") == 5
    assert client.fetch.retry.statistics["attempt_number"] == 3


def test_fetch_gives_up_with_the_original_error():
    client = InventoryClient(FlakyTransport(failures=10))
    client.fetch.retry.wait = wait_none()
    with pytest.raises(TransientError):
        client.fetch("A-1")
    assert client.fetch.retry.statistics["attempt_number"] == 3


async def test_reserve_is_retried_asynchronously(client):
    assert await client.reserve("A-1", 2) == "A-1:2"
    assert client.reserve.retry.statistics["attempt_number"] == 3


async def test_reserve_exhaustion_raises_retry_error():
    client = InventoryClient(FlakyTransport(failures=10))
    with pytest.raises(RetryError):
        await client.reserve("A-1", 1)


def test_warehouse_reports_attempts():
    warehouse = Warehouse(FlakyTransport(failures=1))
    assert warehouse.stock("B-2") == (5, 2)


def test_helper_defined_in_the_test_counts_its_attempts():
    seen = []

    @retry(stop=stop_after_attempt(5), wait=wait_none())
    def eventually():
        seen.append(len(seen))
        if len(seen) < 4:
            raise TransientError("not yet")
        return "done"

    assert eventually() == "done"
    assert eventually.retry.statistics["attempt_number"] == 4
