import asyncio
from unittest import mock

from asyncio_mqtt import Client

from meter_gateway import Reading
from meter_gateway import gateway as gateway_module


async def test_gateway_announces_itself(gateway, mqtt_port):
    async with Client("127.0.0.1", mqtt_port) as observer:
        async with observer.filtered_messages("gateways/7/status") as statuses:
            await observer.subscribe("gateways/7/status")
            await gateway.start()
            first = await asyncio.wait_for(statuses.__anext__(), 5)
            await gateway.stop()
            second = await asyncio.wait_for(statuses.__anext__(), 5)
    assert (first.payload, second.payload) == (b"online", b"offline")
    assert gateway.client is None


async def test_collects_readings_per_meter(gateway, mqtt_port):
    await gateway.start()
    try:
        collecting = asyncio.create_task(gateway.collect(3))
        await asyncio.wait_for(gateway.subscribed.wait(), 5)
        async with Client("127.0.0.1", mqtt_port) as meters:
            for meter, kwh in [("m1", "1.5"), ("m2", "2.25"), ("m1", "3")]:
                await meters.publish(f"meters/{meter}/kwh", kwh, qos=1)
        readings = await asyncio.wait_for(collecting, 5)
    finally:
        await gateway.stop()
    assert readings == [Reading("m1", 1.5), Reading("m2", 2.25), Reading("m1", 3.0)]


async def test_client_is_built_with_the_gateway_identity():
    with mock.patch.object(gateway_module, "Client") as client_cls:
        client_cls.return_value.connect = mock.AsyncMock()
        client_cls.return_value.publish = mock.AsyncMock()
        gw = gateway_module.MeterGateway("broker.local", gateway_id="42")
        await gw.start()
    client_cls.assert_called_once_with("broker.local", 1883, client_id="gw-42", will=mock.ANY)
    client_cls.return_value.publish.assert_awaited_once_with("gateways/42/status", "online", retain=True)
