"""A load generator whose clients resolve through the rehearsal's DNS server, the way real clients do (I/O).

Each client calls one hostname: it resolves through the DNS server and caches the answer for its TTL (a share of the
clients, like JVMs and resolvers with a TTL floor, for ``client_cache_s`` longer), keeps its connection alive across
requests, re-resolves only when it must open a new connection, and sometimes holds a long request in flight. Like
common HTTP clients (Go's transport, urllib3) it checks a pooled connection for a close before reusing it and retries
an idempotent request once on a fresh connection when a reused one fails before any byte of the response.

Time is compressed: the TTL a DNS answer carries, ``client_cache_s`` and ``long_request_s`` are real-world seconds,
divided by ``time_compression`` on the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import require
from ferry.gateway._cutover._metrics import RequestRecord

__all__ = ["Endpoint", "LoadGenerator", "LoadProfile"]

_TLS = ssl.create_default_context()
_TLS.check_hostname = False  # the sides present test certificates; the rehearsal measures availability, not PKI
_TLS.verify_mode = ssl.CERT_NONE


@dataclass(frozen=True)
class LoadProfile:
    """The shape of the load (durations in real-world seconds unless marked wall).

    ``connection_max_age_s`` retires a pooled connection after that long (client pool lifetimes, server
    keepalive limits and restarts all do this), so new connections, and with them the DNS weights, keep mattering.
    """

    clients: int = 16
    stale_share: float = 0.25
    client_cache_s: float = 30.0
    long_share: float = 0.05
    long_request_s: float = 20.0
    connection_max_age_s: float = 30.0
    think_wall_s: float = 0.02
    request_timeout_wall_s: float = 10.0
    seed: int = 7


@dataclass(frozen=True)
class Endpoint:
    """What an address in a DNS answer leads to: the side's name and where to connect (plain and TLS)."""

    side: str
    host: str
    port: int
    tls_port: int | None = None


class _Closed(Exception):
    """The connection closed; ``got_bytes`` says whether any of the response had arrived."""

    def __init__(self, got_bytes: bool) -> None:
        super().__init__("connection closed")
        self.got_bytes = got_bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, side: str, opened: float) -> None:
        self.reader, self.writer, self.side, self.opened = reader, writer, side, opened

    def dropped(self) -> bool:
        return self.reader.at_eof() or self.writer.is_closing()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send ``request``; the status and whether the server closes the connection after it."""
        self.writer.write(request)
        await self.writer.drain()
        line = await self.reader.readline()
        if not line:
            raise _Closed(False)
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise _Closed(True)
        status = int(parts[1])
        close = parts[0] == b"HTTP/1.0"
        length: int | None = None
        chunked = False
        while True:
            header = await self.reader.readline()
            if not header:
                raise _Closed(True)
            if header in (b"\r\n", b"\n"):
                break
            name, _, value = header.partition(b":")
            key, val = name.strip().lower(), value.strip().lower()
            if key == b"content-length":
                length = int(val)
            elif key == b"transfer-encoding" and b"chunked" in val:
                chunked = True
            elif key == b"connection":
                close = val == b"close" or (close and val != b"keep-alive")
        try:
            if chunked:
                await self._read_chunked()
            elif length:
                await self.reader.readexactly(length)
            elif length is None:
                await self.reader.read()
                close = True
        except asyncio.IncompleteReadError:
            raise _Closed(True) from None
        return status, close

    async def _read_chunked(self) -> None:
        while True:
            size_line = await self.reader.readline()
            if not size_line:
                raise _Closed(True)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return
            await self.reader.readexactly(size + 2)


class _DnsQuery(asyncio.DatagramProtocol):
    def __init__(self, future: asyncio.Future[bytes]) -> None:
        self.future = future

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.future.done():
            self.future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


@dataclass
class _ClientState:
    host: str
    stale: bool
    sent_in: str = ""
    address: str | None = None
    expires: float = 0.0
    connection: _Connection | None = None


class LoadGenerator:
    """Clients calling ``hostnames`` through the DNS server at ``127.0.0.1:dns_port``.

    ``endpoints`` maps each address the DNS can answer to the side behind it; ``path_for(host, delay_ms)`` gives the
    path of a request (``delay_ms`` > 0 for a long one). ``step`` labels the requests sent from now on.
    """

    def __init__(
        self,
        hostnames: Sequence[str],
        dns_port: int,
        endpoints: Mapping[str, Endpoint],
        path_for: Callable[[str, int], str],
        profile: LoadProfile,
        *,
        time_compression: float,
        tls_hosts: Iterable[str] = (),
    ) -> None:
        self._dns = require("dnslib", extra="gateway", feature="the cutover rehearsal's load generator")
        self.hostnames = list(hostnames)
        self.dns_port = dns_port
        self.endpoints = dict(endpoints)
        self.path_for = path_for
        self.profile = profile
        self.compression = time_compression
        self.tls_hosts = set(tls_hosts)
        self.step = "start"
        self.records: list[RequestRecord] = []
        self.new_connections: dict[str, list[float]] = {e.side: [] for e in self.endpoints.values()}
        self.in_flight: dict[str, int] = {e.side: 0 for e in self.endpoints.values()}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = 0.0

    def wall(self, real_seconds: float) -> float:
        return real_seconds / self.compression

    def now(self) -> float:
        return asyncio.get_running_loop().time() - self._started

    def last_new_connection(self, side: str) -> float | None:
        times = self.new_connections.get(side)
        return times[-1] if times else None

    async def start(self, spread_wall_s: float = 0.0) -> None:
        """Start the clients, spread evenly over ``spread_wall_s`` so their DNS caches do not expire in step."""
        self._started = asyncio.get_running_loop().time()
        rng = random.Random(self.profile.seed)
        stale = round(self.profile.clients * self.profile.stale_share)
        for i in range(self.profile.clients):
            state = _ClientState(self.hostnames[i % len(self.hostnames)], stale=i < stale)
            client_rng = random.Random(rng.random())
            delay = spread_wall_s * i / self.profile.clients
            self._tasks.append(asyncio.create_task(self._client(state, client_rng, delay), name=f"client-{i}"))

    async def stop(self) -> None:
        """Stop sending; requests in flight finish (bounded by the request timeout)."""
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _client(self, state: _ClientState, rng: random.Random, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), delay)
        try:
            while not self._stop.is_set():
                long = rng.random() < self.profile.long_share
                started = self.now()
                outcome, side, detail, retried = await self._request(state, long)
                latency = self.now() - started
                # A request belongs to the step in force when it went on the wire (or failed to).
                step = state.sent_in
                self.records.append(RequestRecord(step, started, latency, outcome, side, long, retried, detail))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.profile.think_wall_s * (0.5 + rng.random()))
        finally:
            if state.connection is not None:
                state.connection.close()

    async def _resolve(self, state: _ClientState) -> str | None:
        loop = asyncio.get_running_loop()
        if state.address is not None and state.expires > loop.time():
            return state.address
        dns: Any = self._dns
        query = dns.DNSRecord.question(state.host)
        for _ in range(3):
            future: asyncio.Future[bytes] = loop.create_future()
            transport, _proto = await loop.create_datagram_endpoint(
                functools.partial(_DnsQuery, future), remote_addr=("127.0.0.1", self.dns_port)
            )
            try:
                transport.sendto(bytes(query.pack()))
                data = await asyncio.wait_for(future, 1.0)
            except (TimeoutError, OSError):
                continue
            finally:
                transport.close()
            reply = dns.DNSRecord.parse(data)
            answers = [rr for rr in reply.rr if rr.rtype == dns.QTYPE.A]
            if not answers:
                return None
            ttl = self.wall(answers[0].ttl)
            hold = ttl + self.wall(self.profile.client_cache_s) if state.stale else ttl
            state.address, state.expires = str(answers[0].rdata), loop.time() + hold
            return state.address
        return None

    def _request_bytes(self, host: str, long: bool) -> bytes:
        delay_ms = round(self.wall(self.profile.long_request_s) * 1000) if long else 0
        path = self.path_for(host, delay_ms)
        return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ferry-cutover-rehearsal\r\n\r\n".encode()

    async def _request(self, state: _ClientState, long: bool) -> tuple[str, str | None, str, bool]:
        request = self._request_bytes(state.host, long)
        timeout = self.profile.request_timeout_wall_s
        state.sent_in = self.step
        retried = False
        for attempt in (0, 1):
            conn = state.connection
            max_age = self.wall(self.profile.connection_max_age_s)
            if conn is not None and (conn.dropped() or self.now() - conn.opened > max_age):
                conn.close()
                conn = state.connection = None
            reused = conn is not None
            if conn is None:
                address = await self._resolve(state)
                state.sent_in = self.step
                if address is None or address not in self.endpoints:
                    return ("reset" if retried else "failed"), None, f"no usable DNS answer ({address})", retried
                endpoint = self.endpoints[address]
                tls = state.host in self.tls_hosts
                port = endpoint.tls_port if tls else endpoint.port
                try:
                    if port is None:
                        raise ConnectionRefusedError("no TLS listener")
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(
                            endpoint.host,
                            port,
                            ssl=_TLS if tls else None,
                            server_hostname=state.host if tls else None,
                        ),
                        timeout,
                    )
                except (OSError, TimeoutError) as exc:
                    detail = "refused" if isinstance(exc, ConnectionRefusedError) else type(exc).__name__
                    return ("reset" if retried else "failed"), endpoint.side, f"connect {detail}", retried
                self.new_connections[endpoint.side].append(self.now())
                conn = state.connection = _Connection(reader, writer, endpoint.side, self.now())
            self.in_flight[conn.side] += 1
            state.sent_in = self.step
            try:
                status, close = await asyncio.wait_for(conn.exchange(request), timeout)
            except TimeoutError:
                conn.close()
                state.connection = None
                return "failed", conn.side, "timeout", retried
            except (_Closed, ConnectionError, OSError, ssl.SSLError) as exc:
                conn.close()
                state.connection = None
                got_bytes = isinstance(exc, _Closed) and exc.got_bytes
                if reused and not got_bytes and attempt == 0:
                    retried = True
                    continue
                return "reset", conn.side, "connection dropped in flight", retried
            finally:
                self.in_flight[conn.side] -= 1
            if close:
                conn.close()
                state.connection = None
            if status >= 500 or status in (404, 421):
                return "failed", conn.side, f"status {status}", retried
            return "ok", conn.side, "", retried
        return "reset", None, "retry exhausted", retried
