"""A loopback stand-in for the InfluxDB HTTP API that the storage tests write to.

Records every request and answers the way the server does: writes (POST /api/v2/write, the path
both influxdb-client 1.x and influxdb3-python 0.17.0 use; /api/v3/write_lp for no_sync writes)
get 204, Flux queries (POST /api/v2/query) get the annotated CSV the test set, deletes get 204,
GET /ping gets 204. Only 127.0.0.1, port chosen by the OS.
"""
from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

WRITE_PATHS = ("/api/v2/write", "/api/v3/write_lp")


@dataclass(frozen=True)
class CapturedRequest:
    method: str
    path: str
    params: dict
    headers: dict
    body: str


class InfluxCaptureServer:
    def __init__(self) -> None:
        self.requests: list[CapturedRequest] = []
        self.flux_csv = ""
        self.write_error: tuple[int, str] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "InfluxCaptureServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def record(self, request: CapturedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def writes(self) -> list[CapturedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path in WRITE_PATHS]

    def lines(self) -> list[str]:
        """Every line-protocol line received, in arrival order."""
        return [line for request in self.writes() for line in request.body.splitlines() if line]

    def requests_to(self, path: str) -> list[CapturedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def reject_writes(self, status: int = 400, message: str = "partial write: field type conflict") -> None:
        self.write_error = (status, message)


def flux_csv(records: list[dict]) -> str:
    """Annotated CSV as /api/v2/query returns it: one table, tag columns after _measurement."""
    tags = sorted({key for record in records for key in record} - {"_time", "_value", "_field", "_measurement"})
    columns = ["result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", *tags]
    types = ["string", "long", "dateTime:RFC3339", "dateTime:RFC3339", "dateTime:RFC3339", "double",
             "string", "string", *["string"] * len(tags)]
    groups = ["false", "false", "true", "true", "false", "false", "true", "true", *["true"] * len(tags)]
    rows = ["#datatype," + ",".join(types), "#group," + ",".join(groups),
            "#default,_result" + "," * (len(columns) - 1), "," + ",".join(columns)]
    for record in records:
        values = ["", "0", "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z", record["_time"],
                  repr(float(record["_value"])), record["_field"], record["_measurement"],
                  *[record.get(tag, "") for tag in tags]]
        rows.append("," + ",".join(values))
    return "\r\n".join(rows) + "\r\n\r\n"


def _handler_for(capture: InfluxCaptureServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = self._capture()
            if request.path in WRITE_PATHS and capture.write_error is not None:
                status, message = capture.write_error
                self._reply(status, json.dumps({"code": "invalid", "message": message}).encode(), "application/json")
            elif request.path in WRITE_PATHS or request.path == "/api/v2/delete":
                self._reply(204)
            elif request.path == "/api/v2/query":
                self._reply(200, capture.flux_csv.encode(), "text/csv; charset=utf-8")
            else:
                self._reply(404, b'{"code":"not found","message":"path not found"}', "application/json")

        def do_GET(self) -> None:
            request = self._capture()
            self._reply(204 if request.path in ("/ping", "/health") else 404)

        def _capture(self) -> CapturedRequest:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            parts = urlsplit(self.path)
            request = CapturedRequest(self.command, parts.path, dict(parse_qsl(parts.query)),
                                      {k.lower(): v for k, v in self.headers.items()}, raw.decode("utf-8"))
            capture.record(request)
            return request

        def _reply(self, status: int, body: bytes = b"", content_type: str | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # keep pytest output clean
            pass

    return Handler
