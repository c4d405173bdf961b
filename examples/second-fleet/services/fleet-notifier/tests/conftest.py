import contextlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import pytest_asyncio

from fleet_notifier import open_notifier


@pytest.fixture(scope="session")
def broker():
    """(host, port) of a private mosquitto listening on loopback only."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
        conf.flush()
        daemon = subprocess.Popen([shutil.which("mosquitto", path="/usr/sbin:/usr/bin") or "mosquitto", "-c", conf.name],
                                  stderr=subprocess.DEVNULL)
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            time.sleep(0.025)
        yield "127.0.0.1", port
        daemon.terminate()
        daemon.wait()


@pytest_asyncio.fixture
async def notifier(broker):
    async with open_notifier(*broker) as n:
        yield n
