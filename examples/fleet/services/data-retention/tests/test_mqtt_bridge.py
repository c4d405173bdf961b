"""The retention command bridge against a real broker (see mqtt_broker.py)."""
import asyncio
import json

import pytest
from asyncio_mqtt import Client

import mqtt_broker
from data_retention.mqtt_bridge import RetentionCommand, RetentionCommandBridge, parse_command

TIMEOUT = 5.0


async def started(coroutine, subscribed):
    """Runs the bridge until it has subscribed; if it dies first, its own error fails the test."""
    task = asyncio.create_task(coroutine)
    ready = asyncio.create_task(subscribed.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    if ready not in done:
        ready.cancel()
        task.cancel()
        pytest.fail(f"the bridge did not subscribe within {TIMEOUT}s")
    return task


async def stopped(task):
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.fixture(scope="session")
def broker():
    with mqtt_broker.broker_for_tests() as address:
        yield address


class RecordingService:
    """Stands in for the retention engine: remembers commands and reports what it would delete."""

    def __init__(self):
        self.commands = []

    async def __call__(self, command):
        self.commands.append(command)
        return {"bucket": command.bucket, "action": command.action, "days": command.days}


@pytest.fixture
def service():
    return RecordingService()


@pytest.fixture
async def bridge(broker, service):
    bridge = RetentionCommandBridge(broker.host, broker.port, service, client_id="data-retention-test")
    task = await started(bridge.run(), bridge.subscribed)
    yield bridge
    await stopped(task)


async def send_command(broker, topic, body):
    """Publishes one command and returns the bridge's status reply."""
    async with Client(broker.host, broker.port) as operator:
        async with operator.unfiltered_messages() as replies:
            await operator.subscribe("retention/+/status", qos=1)
            await operator.publish(topic, json.dumps(body), qos=1)
            async for reply in replies:
                return reply.topic, json.loads(reply.payload)


async def test_purge_command_reaches_service_and_is_answered(bridge, broker, service):
    topic, reply = await asyncio.wait_for(send_command(broker, "retention/metrics/purge", {"days": 30}), TIMEOUT)

    assert service.commands == [RetentionCommand(bucket="metrics", action="purge", days=30)]
    assert topic == "retention/metrics/status"
    assert reply == {"ok": True, "bucket": "metrics", "action": "purge", "days": 30}


async def test_policy_command_for_another_bucket(bridge, broker, service):
    topic, reply = await asyncio.wait_for(send_command(broker, "retention/events/policy", {"days": 7}), TIMEOUT)

    assert service.commands == [RetentionCommand(bucket="events", action="policy", days=7)]
    assert topic == "retention/events/status"
    assert reply["ok"] is True


async def test_invalid_command_is_refused_without_calling_service(bridge, broker, service):
    topic, reply = await asyncio.wait_for(send_command(broker, "retention/metrics/purge", {"days": 0}), TIMEOUT)

    assert service.commands == []
    assert topic == "retention/metrics/status"
    assert reply == {"ok": False, "error": "retention must be at least one day, got 0"}


async def test_bridge_reports_its_client_identity(bridge):
    assert bridge.connected_as == "data-retention-test"


async def test_unreachable_broker_is_retried_not_fatal(service):
    closed_port = mqtt_broker.free_loopback_port()
    bridge = RetentionCommandBridge("127.0.0.1", closed_port, service, reconnect_interval=0.05)
    task = asyncio.create_task(bridge.run())
    await asyncio.sleep(0.5)

    assert not task.done(), "a refused connection must not end the bridge"
    assert bridge.connection_failures >= 2
    await stopped(task)


def test_parse_command_reads_bucket_action_and_days():
    assert parse_command("retention/logs/purge", b'{"days": 14}') == RetentionCommand("logs", "purge", 14)
