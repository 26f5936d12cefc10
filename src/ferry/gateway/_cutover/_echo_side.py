"""A small HTTP/1.1 server with nginx's signal semantics, used as a cutover side (I/O; run as a program).

``python -m ferry.gateway._cutover._echo_side --host H --port P --name NAME`` answers every request with 200 and
its name, after ``delay_ms`` (a query parameter) for long requests, and keeps connections alive. SIGQUIT drains
gracefully as nginx does (stop listening, close idle keep-alive connections, finish requests in flight with
``Connection: close``, exit when none is left or after ``--drain-timeout``); SIGTERM and SIGKILL stop it at once.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from urllib.parse import parse_qs, urlsplit

__all__ = ["main"]


class _Conn:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.busy = False


class EchoSide:
    def __init__(self, name: str, drain_timeout: float) -> None:
        self.name = name
        self.drain_timeout = drain_timeout
        self.conns: set[_Conn] = set()
        self.draining = False
        self.server: asyncio.Server | None = None
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(writer)
        self.conns.add(conn)
        try:
            while not self.draining or conn.busy:
                line = await reader.readline()
                if not line:
                    break
                conn.busy = True
                keep = True
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    if header.lower().startswith(b"connection:") and b"close" in header.lower():
                        keep = False
                parts = line.split()
                target = parts[1].decode("latin-1") if len(parts) > 1 else "/"
                delay = parse_qs(urlsplit(target).query).get("delay_ms", ["0"])[0]
                if delay.isdigit() and int(delay) > 0:
                    await asyncio.sleep(int(delay) / 1000)
                keep = keep and not self.draining
                body = f"{self.name} {target}\n".encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + f"X-Served-By: {self.name}\r\nContent-Length: {len(body)}\r\n".encode()
                    + (b"Connection: keep-alive\r\n\r\n" if keep else b"Connection: close\r\n\r\n")
                    + body
                )
                await writer.drain()
                conn.busy = False
                if not keep:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self.conns.discard(conn)
            writer.close()
            if self.draining and not self.conns:
                self.done.set()

    def drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        if self.server is not None:
            self.server.close()
        for conn in list(self.conns):
            if not conn.busy:
                conn.writer.close()
        if not self.conns:
            self.done.set()
        asyncio.get_running_loop().call_later(self.drain_timeout, self.done.set)


async def _serve(args: argparse.Namespace) -> None:
    side = EchoSide(args.name, args.drain_timeout)
    side.server = await asyncio.start_server(side.handle, args.host, args.port, backlog=512)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGQUIT, side.drain)
    await side.done.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--drain-timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
