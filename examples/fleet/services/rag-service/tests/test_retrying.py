import pytest
from tenacity import RetryError, wait_none

from rag_service.retrying import VectorStoreClient, VectorStoreUnavailable, embed, fetch_embeddings


@pytest.fixture(autouse=True)
def no_backoff():
    saved = fetch_embeddings.retry.wait
    fetch_embeddings.retry.wait = wait_none()
    yield
    fetch_embeddings.retry.wait = saved


def test_embed_reports_attempts_after_transient_503s():
    client = VectorStoreClient(failures=2)
    vector, attempts = embed(client, "kitchen lights")
    assert vector == [14.0, float(sum(map(ord, "kitchen lights")) % 97)]
    assert attempts == 3
    assert client.calls == 3


def test_embed_reports_a_single_attempt_when_the_store_answers():
    _, attempts = embed(VectorStoreClient(failures=0), "hall")
    assert attempts == 1


def test_gives_up_after_four_attempts():
    client = VectorStoreClient(failures=10)
    with pytest.raises(RetryError) as info:
        fetch_embeddings(client, "garage")
    assert isinstance(info.value.last_attempt.exception(), VectorStoreUnavailable)
    assert client.calls == 4
    assert fetch_embeddings.retry.statistics["attempt_number"] == 4
