"""The echo backends' server program: ``python -m ferry.gateway._verify._echo_server PORT=NAME ...`` (I/O).

Each port answers every request with JSON naming the backend and what it received (method, request target, Host,
headers), so a replay can tell which service answered and with which path, host and headers.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["main"]


def _handler(name: str) -> type[BaseHTTPRequestHandler]:
    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            body = json.dumps(
                {
                    "backend": name,
                    "method": self.command,
                    "path": self.path,
                    "host": self.headers.get("host"),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("x-ferry-backend", name)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Echo


def main(argv: list[str]) -> None:
    servers = []
    for spec in argv:
        port, _, name = spec.partition("=")
        server = ThreadingHTTPServer(("127.0.0.1", int(port)), _handler(name))
        server.daemon_threads = True
        servers.append(server)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv[1:])
