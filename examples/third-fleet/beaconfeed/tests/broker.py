"""A broker for the tests: MQTT_HOST/MQTT_PORT when CI provides one, else mosquitto on a free loopback port."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

_started = []


def address():
    if os.environ.get("MQTT_PORT"):
        return os.environ.get("MQTT_HOST", "127.0.0.1"), int(os.environ["MQTT_PORT"])
    if not _started:
        _started.append(_start_mosquitto())
    return _started[0][0]


def stop():
    while _started:
        _, process, workdir = _started.pop()
        process.terminate()
        process.wait()
        workdir.cleanup()


def _start_mosquitto():
    executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tempfile.TemporaryDirectory()
    config = os.path.join(workdir.name, "mosquitto.conf")
    with open(config, "w") as out:
        out.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    process = subprocess.Popen([executable, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return ("127.0.0.1", port), process, workdir
