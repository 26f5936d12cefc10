"""``ferry coco webhook serve``: AdmissionReview v1 over HTTPS on asyncio + ssl from the standard library (I/O).

Why the standard library: the work per request is a few hundred microseconds of pure Python, so the server's own
overhead decides the latency. A small HTTP/1.1 keep-alive loop on ``asyncio.start_server`` adds no framework
layers, enforces its own limits (header size, body size, read timeouts) before anything is parsed, and needs no
dependency. The TLS context is swapped through an SNI callback when the certificate changes, and the profile is
swapped atomically; both reload through ferry.config's watching (:mod:`ferry.coco._watch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ferry.coco._admission import MAX_REVIEW_BYTES, handle_admission
from ferry.coco._io import load_profile
from ferry.coco._metrics import WebhookMetrics
from ferry.coco._profile import CocoProfile
from ferry.coco._watch import ConfigWatcher, FileWatcher, fingerprint
from ferry.errors import FerryError, InputError

__all__ = ["WebhookServer", "WebhookSettings", "build_tls_context"]

log = logging.getLogger("ferry.coco.webhook")

_MAX_HEADER = 16 * 1024
_HEADER_TIMEOUT = 10.0
_BODY_TIMEOUT = 10.0
_IDLE_TIMEOUT = 60.0
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
_ROUTES = {
    "/mutate": ("mutate", False),
    "/validate": ("validate", False),
    "/mutate/namespace": ("mutate", True),
    "/validate/namespace": ("validate", True),
}


@dataclass(frozen=True)
class WebhookSettings:
    host: str
    port: int
    cert_file: str
    key_file: str
    profile_file: str | None = None
    watch: bool = True
    watch_interval: float = 1.0


def build_tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context: TLS 1.2+, the certificate chain and key from PEM files."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as exc:
        raise InputError(f"cannot load the TLS certificate and key: {exc}", where=f"{cert_file}, {key_file}") from exc
    return ctx


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebhookServer:
    """The admission webhook. ``await start()`` binds; ``port`` is the bound port; ``await stop()`` closes."""

    def __init__(self, settings: WebhookSettings, *, watcher: FileWatcher | None = None) -> None:
        self.settings = settings
        self.metrics = WebhookMetrics()
        watched = [settings.cert_file, settings.key_file] + ([settings.profile_file] if settings.profile_file else [])
        self._baseline = {p: fingerprint(p) for p in watched}  # before loading: a change in between is reloaded
        self.profile: CocoProfile = self._load_profile()
        self._tls = build_tls_context(settings.cert_file, settings.key_file)
        self._outer = build_tls_context(settings.cert_file, settings.key_file)
        self._outer.sni_callback = self._pick_context
        self._watcher: FileWatcher | None = watcher or (
            ConfigWatcher(settings.watch_interval) if settings.watch else None
        )
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = settings.port
        self.ready = False

    def _load_profile(self) -> CocoProfile:
        profile = load_profile(self.settings.profile_file)
        profile.require_kbs()  # /mutate builds initdata: a profile without a KBS cannot serve
        return profile

    def _pick_context(self, sock: ssl.SSLObject, _name: str | None, _ctx: ssl.SSLContext) -> None:
        sock.context = self._tls

    # reload -------------------------------------------------------------------------------------------------
    def reload(self, changed: Sequence[str]) -> None:
        """Reload what changed; a broken new file keeps the old certificate or profile and is counted as failed."""
        s = self.settings
        names = {os.path.abspath(p) for p in changed}
        if names & {os.path.abspath(s.cert_file), os.path.abspath(s.key_file)}:
            try:
                self._tls = build_tls_context(s.cert_file, s.key_file)
                self.metrics.reload("certificate", True)
                log.info("reloaded TLS certificate %s", s.cert_file)
            except FerryError as exc:
                self.metrics.reload("certificate", False)
                log.warning("kept the previous TLS certificate: %s", exc)
        if s.profile_file and os.path.abspath(s.profile_file) in names:
            try:
                self.profile = self._load_profile()
                self.metrics.reload("profile", True)
                log.info("reloaded profile %s", s.profile_file)
            except FerryError as exc:
                self.metrics.reload("profile", False)
                log.warning("kept the previous profile: %s", exc)

    # lifecycle ----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._watcher is not None:  # watching before listening: once the port answers, changes are seen
            self._watcher.start(list(self._baseline), self.reload, self._baseline)
        self._server = await asyncio.start_server(
            self._connection,
            self.settings.host,
            self.settings.port,
            ssl=self._outer,
            limit=_MAX_HEADER,
            backlog=512,
            ssl_handshake_timeout=_HEADER_TIMEOUT,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        if self._watcher is not None:
            await self._watcher.stop()
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def serve_forever(self, on_ready: Callable[[WebhookServer], None] | None = None) -> None:
        """Run until SIGTERM or SIGINT, then drain and stop."""
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if on_ready is not None:
            on_ready(self)
        try:
            await stop.wait()
        finally:
            await self.stop()

    # HTTP ---------------------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    keep = await self._one_request(reader, writer)
                except _HttpError as exc:
                    self.metrics.http_error(exc.status)
                    await self._send(writer, exc.status, json.dumps({"error": str(exc)}).encode(), close=True)
                    break
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes | None:
        """The next request head; None when the client closed or stayed idle past the keep-alive timeout."""
        try:
            async with asyncio.timeout(_IDLE_TIMEOUT):  # cheaper than wait_for: no extra task per request
                return await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise _HttpError(400, "incomplete request head") from exc
            return None
        except asyncio.LimitOverrunError as exc:
            raise _HttpError(431, f"request head over {_MAX_HEADER} bytes") from exc
        except TimeoutError:
            return None

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await self._read_head(reader)
        if head is None:
            return False
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError as exc:
            raise _HttpError(400, "malformed request line") from exc
        if not version.startswith("HTTP/1."):
            raise _HttpError(400, f"unsupported protocol {version[:16]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400, "malformed header line")
            headers[name.strip().lower()] = value.strip()
        close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        if "transfer-encoding" in headers:
            raise _HttpError(400, "chunked request bodies are not accepted; send Content-Length")
        if headers.get("content-encoding", "identity").lower() != "identity":
            raise _HttpError(400, "compressed request bodies are not accepted")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise _HttpError(400, "Content-Length is not a number") from exc
        if length < 0:
            raise _HttpError(400, "negative Content-Length")
        if length > MAX_REVIEW_BYTES:
            raise _HttpError(413, f"request body over {MAX_REVIEW_BYTES} bytes")
        body = b""
        if length:
            try:
                async with asyncio.timeout(_BODY_TIMEOUT):
                    body = await reader.readexactly(length)
            except TimeoutError as exc:
                raise _HttpError(408, "request body not received in time") from exc
        path = target.split("?", 1)[0]
        status, payload, ctype = self._route(method, path, body)
        if status >= 400:
            self.metrics.http_error(status)
        await self._send(writer, status, payload, close=close, content_type=ctype)
        return not close

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, bytes, str]:
        if path in _ROUTES:
            if method != "POST":
                return 405, b'{"error": "use POST"}', "application/json"
            hook, namespace_scope = _ROUTES[path]
            started = time.perf_counter()
            outcome = handle_admission(hook, body, self.profile, namespace_demands_coco=namespace_scope)
            self.metrics.observe(
                hook,
                outcome.decision,
                time.perf_counter() - started,
                dry_run=outcome.dry_run,
                injected=outcome.injected,
                rules=outcome.rules,
            )
            if outcome.decision in ("denied", "warned", "error"):
                log.info("%s uid=%s %s rules=%s", hook, outcome.uid, outcome.decision, ",".join(outcome.rules))
            return outcome.status, outcome.body, "application/json"
        if method != "GET":
            return 405, b'{"error": "use GET"}', "application/json"
        if path == "/healthz":
            return 200, b"ok\n", "text/plain; charset=utf-8"
        if path == "/readyz":
            return (200, b"ready\n", "text/plain; charset=utf-8") if self.ready else (503, b"not ready\n", "text/plain")
        if path == "/metrics":
            return 200, self.metrics.render().encode(), "text/plain; version=0.0.4; charset=utf-8"
        return 404, b'{"error": "not found"}', "application/json"

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        close: bool,
        content_type: str = "application/json",
    ) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
        )
        writer.write(head.encode("ascii") + body)
        async with asyncio.timeout(_BODY_TIMEOUT):  # a client that never reads cannot hold the connection forever
            await writer.drain()
