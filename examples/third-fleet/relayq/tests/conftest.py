import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import aiomqtt
import pytest
import pytest_asyncio


@pytest.fixture(scope="session")
def broker_address():
    """(host, port) of an MQTT broker: MQTT_HOST/MQTT_PORT when set, else a private mosquitto."""
    if "MQTT_PORT" in os.environ:
        yield os.environ.get("MQTT_HOST", "127.0.0.1"), int(os.environ["MQTT_PORT"])
        return
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "broker.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
        proc = subprocess.Popen([mosquitto, "-c", str(Path(tmp, "broker.conf"))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield "127.0.0.1", port
        proc.terminate()
        proc.wait()


@pytest.fixture
def site():
    return "site-" + uuid.uuid4().hex[:8]


@pytest_asyncio.fixture
async def gateway_client(broker_address):
    host, port = broker_address
    async with aiomqtt.Client(host, port) as client:
        yield client


@pytest_asyncio.fixture
async def sensor(broker_address):
    """A door sensor publishing on the same broker."""
    host, port = broker_address
    async with aiomqtt.Client(host, port) as client:
        yield client
