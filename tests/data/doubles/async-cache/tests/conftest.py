import pytest
from pytest_asyncio.plugin import SubRequest

from async_cache.cache import Cache


@pytest.fixture(name="loader")
def loader_mock(mocker):
    return mocker.AsyncMock(side_effect=lambda key: key.upper())


@pytest.fixture(name="cache")
async def filled_cache(loader, request: SubRequest):
    cache = Cache(loader)
    await cache.get(request.node.name[:4])
    return cache
