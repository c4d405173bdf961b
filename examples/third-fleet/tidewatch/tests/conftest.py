import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from asyncio_mqtt import Client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def broker():
    """The harbour broker: MQTT_HOST/MQTT_PORT when CI provides one, else a private mosquitto on 127.0.0.1."""
    if os.environ.get("MQTT_PORT"):
        yield SimpleNamespace(host=os.environ.get("MQTT_HOST", "127.0.0.1"), port=int(os.environ["MQTT_PORT"]))
        return
    executable = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if executable is None:
        pytest.fail("mosquitto is not installed and MQTT_PORT is not set")
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir, "mosquitto.conf")
        config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
        process = subprocess.Popen([executable, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield SimpleNamespace(host="127.0.0.1", port=port)
        finally:
            process.terminate()
            process.wait(5)


@pytest.fixture
def station():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def office(broker):
    """The harbour office's own client, as the tests' other end of the link."""
    async with Client(broker.host, broker.port, client_id=f"office-{uuid.uuid4().hex[:6]}") as client:
        yield client
