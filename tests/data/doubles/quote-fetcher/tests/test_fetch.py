from unittest import mock

import pytest

from quote_fetcher import fetch
from quote_fetcher.fetch import attempts_of_last_fetch, fetch_quote, fetch_quote_async


@pytest.fixture(name="source")
def flaky_source(mocker):
    source = mocker.Mock()
    source.get.side_effect = [OSError("down"), "buy"]
    source.aget = mocker.AsyncMock(side_effect=[OSError("down"), "sell"])
    return source


def test_retries_until_the_source_answers(source):
    assert fetch_quote(source) == "buy"
    assert source.get.call_count == 2
    assert attempts_of_last_fetch() == 2


async def test_async_retries_until_the_source_answers(source):
    assert await fetch_quote_async(source) == "sell"
    source.aget.assert_awaited_with()


async def test_the_retrying_class_is_the_one_the_module_uses(source):
    with mock.patch("quote_fetcher.fetch.AsyncRetrying", wraps=fetch.AsyncRetrying) as retrying:
        assert await fetch_quote_async(source) == "sell"
    retrying.assert_called_once()
    assert retrying.call_args.kwargs["reraise"] is True
