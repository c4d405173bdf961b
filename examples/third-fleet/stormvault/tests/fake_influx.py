"""The two InfluxDB endpoints stormvault uses, on 127.0.0.1: writes are kept, every Flux query gets `rows`."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ANNOTATIONS = ("#datatype,string,long,dateTime:RFC3339,double,string,string,string\n"
               "#group,false,false,false,false,true,true,true\n"
               "#default,_result,,,,,,\n"
               ",result,table,_time,_value,_field,_measurement,station\n")


class FakeInflux:
    def __init__(self):
        self.writes, self.queries, self.rows = [], [], []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if parts.path in ("/api/v2/write", "/api/v3/write_lp"):
                    fake.writes.append(({k: v[0] for k, v in parse_qs(parts.query).items()}, body))
                    self._answer(204, b"", "text/plain")
                elif parts.path == "/api/v2/query":
                    fake.queries.append(json.loads(body)["query"])
                    csv = ANNOTATIONS + "".join(f",,0,{t},{v},gust_ms,wind,{s}\n" for t, v, s in fake.rows) + "\n"
                    self._answer(200, csv.encode(), "text/csv; charset=utf-8")
                else:
                    self._answer(404, b"", "text/plain")

            def _answer(self, status, payload, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def reset(self):
        self.writes.clear()
        self.queries.clear()
        self.rows.clear()
