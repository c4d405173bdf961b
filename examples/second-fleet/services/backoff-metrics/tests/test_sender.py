import pytest

from backoff_metrics import BACKOFFS, send_batch, send_batch_async
from backoff_metrics.sender import Unavailable


@pytest.fixture(autouse=True)
def clean_metrics():
    BACKOFFS.clear()


def failing(times):
    calls = []

    def sink(batch):
        calls.append(batch)
        if len(calls) <= times:
            raise Unavailable("sink down")
        return len(batch)

    return sink


def test_success_after_backoffs_is_counted():
    assert send_batch(failing(2), [1, 2, 3]) == 3
    assert BACKOFFS["send_batch"] == 2


@pytest.mark.manual_migration(reason="TEN005: the custom wait now also runs on the final attempt")
def test_exhausted_send_counts_one_backoff_per_retry():
    with pytest.raises(Unavailable):
        send_batch(failing(5), [1])
    assert BACKOFFS["send_batch"] == 2


async def test_async_send_retries():
    calls = []

    async def sink(batch):
        calls.append(batch)
        if len(calls) < 3:
            raise Unavailable("sink down")
        return "ok"

    assert await send_batch_async(sink, ["x"]) == "ok"
    assert len(calls) == 3
