"""A small HTTP/1.1 server with nginx's signal semantics, used as a cutover side (I/O; run as a program).

``python -m ferry.gateway._cutover._echo_side --host H --listen PORT=NAME ...`` answers every request on each port
with 200 and that port's name, after ``delay_ms`` (a query parameter) for long requests, and keeps connections
alive. The rehearsal runs it as a side of its own and as the backends behind real nginx and Envoy. SIGQUIT drains
gracefully as nginx does (stop listening, close idle keep-alive connections, finish requests in flight with
``Connection: close``, exit when none is left or after ``--drain-timeout``); SIGTERM and SIGKILL stop it at once.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import signal
import sys
from urllib.parse import parse_qs, urlsplit

__all__ = ["main"]


class _Conn:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.busy = False


class EchoSide:
    def __init__(self, drain_timeout: float) -> None:
        self.drain_timeout = drain_timeout
        self.conns: set[_Conn] = set()
        self.draining = False
        self.servers: list[asyncio.Server] = []
        self.done = asyncio.Event()

    async def handle(self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
                body = f"{name} {target}\n".encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + f"X-Served-By: {name}\r\nContent-Length: {len(body)}\r\n".encode()
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
        for server in self.servers:
            server.close()
        for conn in list(self.conns):
            if not conn.busy:
                conn.writer.close()
        if not self.conns:
            self.done.set()
        asyncio.get_running_loop().call_later(self.drain_timeout, self.done.set)


async def _serve(args: argparse.Namespace) -> None:
    side = EchoSide(args.drain_timeout)
    for spec in args.listen:
        port, _, name = spec.partition("=")
        handler = functools.partial(side.handle, name or port)
        side.servers.append(await asyncio.start_server(handler, args.host, int(port), backlog=512))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGQUIT, side.drain)
    await side.done.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--listen", action="append", required=True, metavar="PORT=NAME")
    parser.add_argument("--drain-timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
