import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class CapturedWrites(list):
    """(query parameters, line protocol body) of each write the server received."""

    url = ""


@pytest.fixture
def influx_capture():
    writes = CapturedWrites()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if parts.path.endswith("/write") or parts.path.endswith("/write_lp"):
                writes.append(({k: v[0] for k, v in parse_qs(parts.query).items()}, body.decode()))
                self.send_response(204)
            else:
                self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    writes.url = f"http://127.0.0.1:{server.server_port}"
    yield writes
    server.shutdown()
    server.server_close()
