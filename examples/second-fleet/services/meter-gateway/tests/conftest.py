import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from meter_gateway import MeterGateway


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def mqtt_port():
    """A throwaway mosquitto on 127.0.0.1 for the whole session."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(binary):
        pytest.fail("mosquitto is required for these tests (apt-get install mosquitto)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "m.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
        proc = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
        proc.terminate()
        proc.wait(5)


@pytest.fixture
def gateway(mqtt_port):
    return MeterGateway("127.0.0.1", mqtt_port, gateway_id="7")
