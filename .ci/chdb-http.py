#!/usr/bin/env python3
"""A minimal ClickHouse HTTP interface in front of chdb (ClickHouse's engine embedded, a
current release from PyPI), so the store's ClickHouse tests also run against a current
ClickHouse and not only Debian's 18.16. It implements what routenorms uses: POST / with the
statement in the body, or in `query=` with the data in the body; settings as URL
parameters; `200` with the result, or `500` with ClickHouse's error text.

Usage: chdb-http.py PORT DATADIR   (prints http://127.0.0.1:PORT when ready)
"""
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import chdb.session

PORT, DATADIR = int(sys.argv[1]), sys.argv[2]
SESSION = chdb.session.Session(DATADIR)
LOCK = threading.Lock()
# URL parameters that are not settings.
NOT_SETTINGS = {"query", "database", "user", "password"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if "query" in params:
            sql = params["query"] + "\n" + body.decode("utf-8")
        else:
            sql = body.decode("utf-8")
        settings = [f"{k} = {v}" for k, v in params.items() if k not in NOT_SETTINGS]
        fmt = "TabSeparated"
        text = sql.rstrip().rstrip(";")
        # The output format is given by the statement's FORMAT clause (chdb wants it apart).
        if text.upper().startswith(("SELECT", "WITH")) and " FORMAT " in text.upper():
            at = text.upper().rindex(" FORMAT ")
            fmt = text[at + 8 :].strip()
            text = text[:at]
            if settings:
                text += " SETTINGS " + ", ".join(settings)
        try:
            with LOCK:
                res = SESSION.query(text, fmt)
            out = res.bytes() if hasattr(res, "bytes") else bytes(res)
            status = 200
        except Exception as e:  # ClickHouse's own error text, as the real server sends it
            out = str(e).encode("utf-8")
            status = 500
        self.send_response(status)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(out)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"http://127.0.0.1:{PORT}", flush=True)
server.serve_forever()
