import pytest

from pumpctl import GatewayBusy, PumpController, metrics
from pumpctl.gateway import Gateway


@pytest.fixture(name="gateway")
def gateway_fixture(mocker):
    return mocker.create_autospec(Gateway, instance=True)


@pytest.fixture(autouse=True)
def fresh_metrics(mocker):
    mocker.patch.object(metrics, "BACKOFFS", [])


def test_start_sends_the_command(gateway):
    gateway.send.return_value = "ok"

    assert PumpController(gateway).start("p1") == "ok"
    gateway.send.assert_called_once_with("p1", "start")


def test_a_busy_gateway_is_retried(gateway):
    gateway.send.side_effect = [GatewayBusy(), GatewayBusy(), "ok"]
    controller = PumpController(gateway)

    assert controller.start("p1") == "ok"
    assert controller.start_attempts() == 3


def test_stop_gives_up_after_three_tries(gateway):
    gateway.send.side_effect = GatewayBusy()

    with pytest.raises(GatewayBusy):
        PumpController(gateway).stop("p1")
    assert gateway.send.call_count == 3


@pytest.mark.manual_migration(reason="TEN005: tenacity 9 also evaluates the wait after the last attempt")
def test_each_backoff_of_a_failed_stop_is_recorded(gateway):
    gateway.send.side_effect = GatewayBusy()

    with pytest.raises(GatewayBusy):
        PumpController(gateway).stop("p1")
    assert metrics.BACKOFFS == [1, 2]
