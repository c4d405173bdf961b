import asyncio

from conftest import AUDIT
from ha_setup_service.app import FakeHomeAssistant, SetupWizard


async def test_all_steps_pass(wizard, home):
    results = await wizard.run()
    assert [(r.name, r.ok) for r in results] == [("reach core", True)]
    assert home.calls == 1


async def test_required_failure_stops_the_wizard(home):
    home.reachable = False
    wizard = SetupWizard()
    wizard.step("reach core", home.ping)
    wizard.step("load integrations", home.ping)
    results = await wizard.run()
    assert [r.name for r in results] == ["reach core"]
    assert results[0].detail == "check failed"


async def test_slow_check_times_out():
    slow = FakeHomeAssistant(delay=1.0)
    wizard = SetupWizard(timeout=0.01)
    wizard.step("reach core", slow.ping, required=False)
    wizard.step("optional follow-up", FakeHomeAssistant().ping, required=False)
    results = await wizard.run()
    assert [r.detail for r in results] == ["timed out", ""]


class TestHistory:
    async def test_runs_accumulate(self, wizard):
        await wizard.run()
        await asyncio.gather(wizard.run())
        assert len(wizard.history) == 2


def test_audit_fixture_ran_for_sync_tests_too():
    assert AUDIT == ["start"]
