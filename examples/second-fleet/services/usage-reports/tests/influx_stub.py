"""A loopback InfluxDB v2 HTTP stand-in: records writes, answers Flux with canned CSV, can reject writes."""
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler


class Stub(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.written = []
        self.queries = []
        self.csv = ""
        self.reject = None
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        path = self.path.split("?")[0]
        if path.endswith("/write") or path.endswith("/write_lp"):
            if self.server.reject:
                return self._send(400, json.dumps({"code": "invalid", "message": self.server.reject}), "application/json")
            self.server.written.append(body)
            return self._send(204)
        if path == "/api/v2/query":
            self.server.queries.append(json.loads(body)["query"])
            return self._send(200, self.server.csv, "text/csv")
        self._send(404)

    def _send(self, status, body="", content_type=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_):
        pass


def running_stub():
    stub = Stub()
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    return stub
