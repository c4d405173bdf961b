"""Just enough of the InfluxDB write endpoint on 127.0.0.1 to see what the service sends."""
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


class FakeInflux:
    def __init__(self):
        self.writes = []  # (query params, body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                url = urlparse(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if url.path in ("/api/v2/write", "/api/v3/write_lp"):
                    fake.writes.append(({k: v[0] for k, v in parse_qs(url.query).items()}, body))
                    self.send_response(204)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_port

    def lines(self):
        return [line for _, body in self.writes for line in body.splitlines()]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
