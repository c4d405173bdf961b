import asyncio
import json

from conftest import frame


async def test_full_batches_are_written(pipeline, sink):
    for n in range(6):
        pipeline.feed(frame("sensor.power", str(n)))
    await pipeline.stop()
    await asyncio.sleep(0.01)
    assert sink.batches == [["0", "1", "2"], ["3", "4", "5"]]


async def test_partial_batch_is_flushed_after_the_interval(pipeline, sink):
    pipeline.feed(frame("light.hall", "on"))
    await asyncio.sleep(0.06)
    assert sink.batches == [["on"]]


async def test_malformed_frames_are_rejected(pipeline, sink):
    pipeline.feed("not json")
    pipeline.feed(json.dumps({"type": "result"}))
    pipeline.feed(frame("switch.fan", "off"))
    await pipeline.stop()
    await asyncio.sleep(0.01)
    assert len(pipeline.rejected) == 2
    assert sink.batches == [["off"]]

