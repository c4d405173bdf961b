import pytest
from conftest import record

from logtap import LogShipper, __version__, make_shipper, to_point


def test_the_installed_package_knows_its_version():
    assert __version__


def test_a_record_becomes_a_point():
    assert to_point(record(7, "warn")).to_line_protocol() == 'log,level=warn,service=billing message="invoice 7 sent"'


async def test_flush_writes_what_is_pending(shipper, write_api):
    shipper.add(record())

    assert await shipper.flush() == 1
    assert write_api.write.called


async def test_records_are_written_in_batches_to_one_bucket(shipper, write_api):
    for n in range(5):
        shipper.add(record(n))

    await shipper.flush()

    sizes = [len(c.kwargs["record"]) for c in write_api.write.call_args_list]
    assert sizes == [2, 2, 1]
    assert {c.kwargs["bucket"] for c in write_api.write.call_args_list} == {"logs"}


async def test_nothing_pending_writes_nothing(shipper, write_api):
    assert await shipper.flush() == 0
    assert not write_api.write.called


def test_make_shipper_builds_its_client(mocker):
    client_cls = mocker.patch("logtap.shipper.InfluxDBClient")

    make_shipper("http://influx.ops.local:8086", "tok", "ops", "logs")

    client_cls.assert_called_once_with(url="http://influx.ops.local:8086", token="tok", org="ops")


def test_flush_from_a_sync_caller(event_loop, client, write_api):
    shipper = LogShipper(client, "logs")
    shipper.add(record())

    assert event_loop.run_until_complete(shipper.flush()) == 1
    assert write_api.write.call_count == 1
