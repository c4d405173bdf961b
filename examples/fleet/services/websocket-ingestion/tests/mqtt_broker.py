"""How this service's tests get a real MQTT broker on 127.0.0.1.

MQTT_HOST/MQTT_PORT point at an existing broker when set (CI may provide one); otherwise a private
mosquitto is started on a free loopback port for the test session and stopped afterwards.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STARTUP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int


def broker_from_environment() -> BrokerAddress | None:
    host = os.environ.get("MQTT_HOST")
    if not host:
        return None
    return BrokerAddress(host, int(os.environ.get("MQTT_PORT", "1883")))


@contextlib.contextmanager
def broker_for_tests() -> Iterator[BrokerAddress]:
    configured = broker_from_environment()
    if configured is not None:
        yield configured
        return
    with running_mosquitto() as address:
        yield address


@contextlib.contextmanager
def running_mosquitto() -> Iterator[BrokerAddress]:
    executable = _find_mosquitto()
    with tempfile.TemporaryDirectory(prefix="mosquitto-") as workdir:
        port = free_loopback_port()
        config = Path(workdir) / "mosquitto.conf"
        # mosquitto 2.x refuses anonymous clients unless a listener is configured explicitly.
        config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        log_path = Path(workdir) / "mosquitto.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([executable, "-c", str(config)], stdout=log, stderr=log)
        try:
            _wait_until_listening(process, port, log_path)
            yield BrokerAddress("127.0.0.1", port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _find_mosquitto() -> str:
    # Debian installs the broker in /usr/sbin, which is not on every user's PATH.
    executable = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if executable is None:
        raise RuntimeError(
            "mosquitto is not installed: these tests need a real MQTT broker. Install it "
            "(`apt-get install -y mosquitto`) or point MQTT_HOST/MQTT_PORT at a running broker."
        )
    return executable


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}: {log_path.read_text()}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.05)
    raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{port} within {STARTUP_TIMEOUT_SECONDS}s")
