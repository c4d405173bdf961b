import asyncio
import shutil
import socket
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asyncio_mqtt import Client

from sensor_hub import InfluxSink, SensorHub


@pytest.fixture(scope="module")
def mosquitto():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    conf.close()
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([exe, "-c", conf.name], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            import time
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait()


@pytest.fixture
def influx():
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.bodies = bodies
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


async def test_temperatures_end_up_in_influx(mosquitto, influx):
    sink = InfluxSink(influx.url)
    hub = SensorHub("127.0.0.1", mosquitto, sink)

    async def publish_when_ready():
        await hub.ready.wait()
        async with Client("127.0.0.1", mosquitto) as house:
            await house.publish("home/kitchen/temperature", "21.5", qos=1)
            await house.publish("home/attic/temperature", "17", qos=1)

    stored, _ = await asyncio.wait_for(asyncio.gather(hub.run(limit=2), publish_when_ready()), 10)
    sink.close()

    assert stored == 2
    assert sorted(b.split(" ")[0] for b in influx.bodies) == ["climate,room=attic", "climate,room=kitchen"]
    assert hub.last_save_attempts() == 1


def test_sink_retries_once_then_gives_up():
    from tenacity import RetryError

    def refuse_everything():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{s.getsockname()[1]}"

    sink = InfluxSink(refuse_everything())
    with pytest.raises(RetryError):
        sink.save("home/cellar/temperature", 12.0)
    assert sink.save.retry.statistics["attempt_number"] == 2
    sink.close()
