"""A small HTTP origin for the cache tests: Range, HEAD, ETag, and faults injected for real.

Run as a program (the tests start it with ManagedProcess so that it can be killed mid-transfer)::

    python range_origin.py --root DIR --port N [--fail-first N] [--reset-after BYTES] [--reset-times N] [--clean-close]
                           [--first-byte-delay S] [--delay-times N] [--corrupt-at OFFSET] [--rate BPS]

``GET /__stats`` answers ``{"requests": n, "body_bytes": n}``: the bytes of file content served so far.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.body_bytes = 0
        self.fails_left = args.fail_first
        self.resets_left = args.reset_times
        self.delays_left = args.delay_times

    def take(self, name: str) -> bool:
        with self.lock:
            left = getattr(self, name)
            if left > 0:
                setattr(self, name, left - 1)
                return True
            return False


def make_handler(state: State, root: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def _file(self) -> Path | None:
            rel = self.path.split("?", 1)[0].lstrip("/")
            path = (root / rel).resolve()
            return path if path.is_file() and root.resolve() in path.parents else None

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            if self.path == "/__stats":
                body = json.dumps({"requests": state.requests, "body_bytes": state.body_bytes}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            with state.lock:
                state.requests += 1
            path = self._file()
            if path is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if not head and state.take("fails_left"):
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = path.stat().st_size
            st = path.stat()
            etag = hashlib.sha256(f"{st.st_mtime_ns}-{size}".encode()).hexdigest()[:16]
            start, end = 0, size - 1
            match = _RANGE.match(self.headers.get("Range", ""))
            if match:
                start = int(match.group(1))
                end = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("ETag", f'"{etag}"')
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if head:
                return
            if state.args.first_byte_delay and state.take("delays_left"):
                time.sleep(state.args.first_byte_delay)
            reset = state.args.reset_after if state.take("resets_left") else None
            with path.open("rb") as handle:
                handle.seek(start)
                remaining = end - start + 1
                offset = start
                sent = 0
                while remaining:
                    block = handle.read(min(remaining, 256 * 1024))
                    if not block:
                        break
                    corrupt = state.args.corrupt_at
                    if corrupt is not None and offset <= corrupt < offset + len(block):
                        i = corrupt - offset
                        block = block[:i] + bytes([block[i] ^ 0xFF]) + block[i + 1 :]
                    if reset is not None and sent + len(block) > reset:
                        block = block[: max(0, reset - sent)]
                        self.wfile.write(block)
                        self.wfile.flush()
                        with state.lock:
                            state.body_bytes += len(block)
                        if state.args.clean_close:  # the body ends early with a FIN: a truncated response
                            self.connection.shutdown(socket.SHUT_RDWR)
                        else:  # an abortive close: the client sees a connection reset
                            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.connection.close()
                        self.close_connection = True
                        return
                    self.wfile.write(block)
                    with state.lock:
                        state.body_bytes += len(block)
                    sent += len(block)
                    offset += len(block)
                    remaining -= len(block)
                    if state.args.rate:
                        time.sleep(len(block) / state.args.rate)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--reset-after", type=int, default=None)
    parser.add_argument("--reset-times", type=int, default=0)
    parser.add_argument("--clean-close", action="store_true", help="end cut bodies with a FIN, not a reset")
    parser.add_argument("--first-byte-delay", type=float, default=0.0)
    parser.add_argument("--delay-times", type=int, default=0)
    parser.add_argument("--corrupt-at", type=int, default=None)
    parser.add_argument("--rate", type=float, default=0.0, help="bytes per second per connection")
    args = parser.parse_args()
    state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state, Path(args.root)))
    server.daemon_threads = True
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    server.serve_forever()


if __name__ == "__main__":
    main()
