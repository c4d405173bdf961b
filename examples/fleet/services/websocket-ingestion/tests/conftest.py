import asyncio
import json

import pytest

from websocket_ingestion.app import IngestionPipeline


def frame(entity_id, state):
    return json.dumps({"type": "event", "event": {"data": {"entity_id": entity_id, "new_state": {"state": state}}}})


class BatchSink:
    def __init__(self):
        self.batches = []

    async def __call__(self, batch):
        await asyncio.sleep(0)
        self.batches.append([p["state"] for p in batch])


@pytest.fixture
async def sink():
    return BatchSink()


@pytest.fixture
async def pipeline(sink):
    pipeline = IngestionPipeline(sink, batch_size=3, flush_interval=0.02)
    task = asyncio.create_task(pipeline.run())
    yield pipeline
    if not task.done():
        await pipeline.stop()
    await asyncio.wait_for(task, 1)
