import pytest

from openvino_service.app import InferenceServer, keyword_model


@pytest.fixture
async def server(event_loop):
    server = InferenceServer(keyword_model, loop=event_loop, max_batch=2)
    yield server
    await server.close()
