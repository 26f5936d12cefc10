"""An emulated remote link in front of an origin: per-connection rate cap and first-byte delay, moved by the kernel.

    python linkproxy.py --listen 8000 --upstream 127.0.0.1:8333 --rate 50e6 --first-byte 0.02 --stats 8001

Each accepted connection gets a thread per direction. The per-connection cap is the kernel's: the client-facing
socket carries ``SO_MAX_PACING_RATE`` (``--rate`` bytes/s), which TCP enforces with its internal pacing (no fq qdisc
needed, none exists on this kernel). The bytes are moved origin → pipe → client with ``os.splice`` in blocks of up to
1 MiB, so Python never touches them: the proxy costs a few system calls per MiB instead of a token bucket per
256 KiB in an event loop (the asyncio proxy this replaces could not feed 125 MB/s from one shared core). After each
request the client sends, the response's first byte waits ``--first-byte`` seconds. The aggregate link rate comes
from HTB on the namespace's loopback (see run.py). ``GET /`` on the stats port answers the counters as JSON;
``GET /reset`` zeroes them.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import socket
import threading
import time

SO_MAX_PACING_RATE = getattr(socket, "SO_MAX_PACING_RATE", 47)
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
BLOCK = 1 << 20
METHODS = (b"GET ", b"HEAD", b"PUT ", b"POST")


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.down_bytes = 0
        self.requests = 0
        self.connections = 0

    def add(self, down: int = 0, requests: int = 0, connections: int = 0) -> None:
        with self.lock:
            self.down_bytes += down
            self.requests += requests
            self.connections += connections


class Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: tuple[str, int], args: argparse.Namespace, stats: Stats):
        self.client = client
        self.upstream = socket.create_connection(upstream)
        self.args, self.stats = args, stats
        self.fresh = False
        for s in (self.client, self.upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.rate:
            self.client.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE, int(args.rate))

    def up(self) -> None:
        """Client → origin: requests (small); each one arms the first-byte delay of its response."""
        try:
            while data := self.client.recv(65536):
                if data[:4] in METHODS:
                    self.stats.add(requests=1)
                self.fresh = True
                self.upstream.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                self.upstream.shutdown(socket.SHUT_WR)

    def down(self) -> None:
        """Origin → client through a pipe, never through Python's memory."""
        r, w = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(w, F_SETPIPE_SZ, BLOCK)
        src, dst = self.upstream.fileno(), self.client.fileno()
        try:
            while n := os.splice(src, w, BLOCK):
                if self.fresh:
                    self.fresh = False
                    if self.args.first_byte:
                        time.sleep(self.args.first_byte)
                left = n
                while left:
                    left -= os.splice(r, dst, left)
                self.stats.add(down=n)
        except OSError:
            pass
        finally:
            os.close(r)
            os.close(w)
            with contextlib.suppress(OSError):
                self.client.shutdown(socket.SHUT_WR)

    def run(self) -> None:
        pump = threading.Thread(target=self.up, daemon=True)
        pump.start()
        self.down()
        pump.join()
        self.client.close()
        self.upstream.close()


def listen(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(256)
    return sock


def serve_stats(sock: socket.socket, stats: Stats) -> None:
    while True:
        conn, _ = sock.accept()
        with conn:
            line = conn.recv(4096).split(b"\r\n", 1)[0]
            with stats.lock:
                body = json.dumps(
                    {"down_bytes": stats.down_bytes, "requests": stats.requests, "connections": stats.connections}
                ).encode()
                if b"/reset" in line:
                    stats.reset()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, default=50e6, help="bytes/s per connection (0: no cap)")
    parser.add_argument("--first-byte", type=float, default=0.02, help="seconds before each response's first byte")
    parser.add_argument("--stats", type=int, required=True)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    stats = Stats()
    proxy, control = listen(args.listen), listen(args.stats)
    threading.Thread(target=serve_stats, args=(control, stats), daemon=True).start()
    while True:
        client, _ = proxy.accept()
        stats.add(connections=1)
        try:
            link = Link(client, (host, int(port)), args, stats)
        except OSError:
            client.close()
            continue
        threading.Thread(target=link.run, daemon=True).start()


if __name__ == "__main__":
    main()
