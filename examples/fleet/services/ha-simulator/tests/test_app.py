import asyncio

from ha_simulator.app import StateChanged, render_floorplan


async def test_state_change_is_published(simulator, events):
    await simulator.set_state("light.kitchen", "on")
    assert events.get_nowait() == StateChanged("light.kitchen", "off", "on")


async def test_unchanged_state_is_not_published(simulator, events):
    await simulator.set_state("sensor.door", "closed")
    assert events.empty()


async def test_replay_feeds_every_subscriber(simulator):
    first, second = simulator.subscribe(), simulator.subscribe()
    script = [("light.kitchen", "on"), ("light.kitchen", "off")]
    assert await simulator.replay(script) == 2
    assert first.qsize() == second.qsize() == 2


async def test_consumer_sees_changes_while_replaying(simulator, events):
    async def consume(n):
        return [(await events.get()).new for _ in range(n)]

    consumer = asyncio.create_task(consume(3))
    await simulator.replay([("fan.attic", "on"), ("fan.attic", "off"), ("fan.attic", "on")], step=0.001)
    assert await asyncio.wait_for(consumer, 1) == ["on", "off", "on"]


async def test_floorplan_renders_in_executor(simulator, event_loop):
    picture = await event_loop.run_in_executor(None, render_floorplan, dict(simulator.states))
    assert picture == "light.kitchen=off\nsensor.door=closed"
