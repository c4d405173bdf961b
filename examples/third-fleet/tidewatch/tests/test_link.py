from unittest.mock import call

import pytest
from asyncio_mqtt import MqttError

from tidewatch import GaugeLink, GaugeOffline

HOST = "broker.harbour.example"
PORT = 8883


@pytest.fixture(name="mqtt")
def fixture_mqtt(mocker):
    return mocker.patch("tidewatch.link.Client", autospec=True)


async def test_each_gauge_has_its_own_client_id(mqtt):
    GaugeLink(HOST, PORT, "kiel")
    GaugeLink(HOST, PORT, "husum")

    assert mqtt.call_args_list == [
        call(HOST, PORT, client_id="tidewatch-kiel"),
        call(HOST, PORT, client_id="tidewatch-husum"),
    ]


async def test_an_unreachable_broker_means_offline(mqtt):
    mqtt.return_value.connect.side_effect = MqttError("[Errno 111] Connection refused")
    link = GaugeLink(HOST, PORT, "kiel")

    with pytest.raises(GaugeOffline, match="kiel"):
        await link.open()
    mqtt.return_value.subscribe.assert_not_called()


async def test_open_subscribes_to_its_calibration(mqtt):
    link = GaugeLink(HOST, PORT, "kiel")

    await link.open()

    mqtt.return_value.subscribe.assert_awaited_once_with("tides/kiel/calibration", qos=1)


async def test_levels_carry_the_calibration_offset(mqtt):
    link = GaugeLink(HOST, PORT, "kiel")
    link.offset = 0.125

    await link.publish_level(2.0)

    topic, payload = mqtt.return_value.publish.call_args.args
    assert topic == "tides/kiel/level"
    assert payload == '{"station": "kiel", "level_m": 2.125}'
