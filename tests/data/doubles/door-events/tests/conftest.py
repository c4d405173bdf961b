import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest


@pytest.fixture(name="mqtt")
def mqtt_client_class():
    """The Client class as the listener looks it up, with awaitable connect/subscribe/disconnect."""
    with mock.patch("door_events.listener.asyncio_mqtt.Client") as client_class:
        client_class.return_value.connect = mock.AsyncMock()
        client_class.return_value.subscribe = mock.AsyncMock()
        client_class.return_value.disconnect = mock.AsyncMock()
        yield client_class


@pytest.fixture(scope="session")
def broker():
    """A real mosquitto on 127.0.0.1 (a free port), for the end-to-end test."""
    executable = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if executable is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "mosquitto.conf"
        config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        process = subprocess.Popen([executable, "-c", str(config)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield "127.0.0.1", port
        finally:
            process.terminate()
            process.wait(timeout=5)
