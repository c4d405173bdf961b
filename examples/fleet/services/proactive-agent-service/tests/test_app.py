from conftest import DELIVERY_LOG


async def test_nothing_is_due_yet(scheduler):
    assert await scheduler.deliver_due() == []
    assert scheduler.pending == 2


async def test_due_suggestions_are_delivered_in_order(scheduler, clock):
    scheduler.schedule("Lock the front door?", "anna", delay=30)
    clock.advance(120)
    assert [s.text for s in await scheduler.deliver_due()] == ["Lock the front door?", "Close the garage door?"]


async def test_quiet_users_get_nothing(scheduler, clock):
    scheduler.schedule("Turn off the TV?", "guest", delay=0)
    assert await scheduler.deliver_due() == []
    assert scheduler.pending == 2


class TestLongRunning:
    async def test_everything_is_delivered_eventually(self, scheduler, clock):
        clock.advance(7200)
        await scheduler.deliver_due()
        assert scheduler.pending == 0
        assert len(scheduler.delivered) == 2

    async def test_log_starts_empty_for_each_test(self, scheduler):
        assert DELIVERY_LOG == []
