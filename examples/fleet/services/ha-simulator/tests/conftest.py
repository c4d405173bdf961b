import pytest

from ha_simulator.app import Simulator


@pytest.fixture
async def simulator():
    simulator = Simulator()
    await simulator.set_state("light.kitchen", "off")
    await simulator.set_state("sensor.door", "closed")
    yield simulator
    simulator.states.clear()


@pytest.fixture
async def events(simulator):
    return simulator.subscribe()
