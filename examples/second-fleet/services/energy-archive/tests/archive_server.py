"""127.0.0.1 HTTP server that accepts InfluxDB line-protocol writes, or refuses them when told to."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ArchiveServer(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lines = []
        self.refuse = False
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_port


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.server.refuse:
            body = b'{"code":"unavailable","message":"archive is read-only"}'
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.server.lines.extend(data.splitlines())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass
