import pytest
from tenacity import wait_none

from openvino_service.retrying import ModelCache, load_model, read_model, warm_up

MODELS = {"yolo-tiny": b"\x00" * 12, "face-detect": b"\x01" * 7}


@pytest.fixture(autouse=True)
def no_backoff():
    saved = read_model.retry.wait
    read_model.retry.wait = wait_none()
    yield
    read_model.retry.wait = saved


def test_load_waits_for_the_cache_volume():
    cache = ModelCache(MODELS, not_ready_for=2)
    model = load_model(cache, "yolo-tiny")
    assert (model.name, model.size, model.load_attempts) == ("yolo-tiny", 12, 3)


async def test_warm_up_loads_every_model_off_the_loop():
    cache = ModelCache(MODELS, not_ready_for=1)
    loaded = await warm_up(cache, ["yolo-tiny", "face-detect"])
    assert [(m.name, m.size, m.load_attempts) for m in loaded] == [("yolo-tiny", 12, 2), ("face-detect", 7, 1)]
    assert cache.reads == 3
