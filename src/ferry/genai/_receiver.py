"""The OTLP/HTTP receiver and the web view's server (I/O).

``POST /v1/{traces,metrics,logs}`` takes protobuf (``application/x-protobuf``) or JSON (``application/json``),
optionally gzip-compressed. A payload is decoded completely before anything is written, and written in one
transaction, so a bad payload leaves nothing behind: 400 with the reason (a ``google.rpc.Status`` in the request's
encoding), 413 above the size limit (checked before and after decompression), 415 for another content type, 503 with
``Retry-After`` while the store is busy. Spans without valid ids are rejected and reported in ``partial_success``.

Back-pressure: at most ``max_pending`` export requests are held at once (read, decoded or waiting for the store);
one more is answered 503 with ``Retry-After`` (OTLP's retryable "server overloaded") after its body is drained in
small chunks, so memory stays bounded however many exporters connect. A 200 always means the data is committed.

``GET /`` is the web view; ``/api/traces`` and ``/api/traces/{id}`` feed it.
"""

from __future__ import annotations

import json
import threading
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ferry.genai._analyze import analyze_trace
from ferry.genai._errors import OTLPDecodeError, PayloadTooLargeError, StoreError
from ferry.genai._model import Batch
from ferry.genai._otlp_json import decode_json_bytes
from ferry.genai._otlp_proto import decode_proto, encode_response, encode_status
from ferry.genai._pricing import PriceTable
from ferry.genai._store import TraceStore
from ferry.genai._web import PAGE

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_PENDING", "OTLPReceiver"]

DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_MAX_PENDING = 8
_DRAIN_CHUNK = 64 * 1024
_RPC_INVALID_ARGUMENT = 3
_RPC_RESOURCE_EXHAUSTED = 8
_RPC_UNAVAILABLE = 14


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise OTLPDecodeError(f"body is not valid gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLargeError(f"decompressed body exceeds the limit of {limit} bytes")
    if not inflater.eof:
        raise OTLPDecodeError("gzip body is truncated")
    return out


class OTLPReceiver:
    """An OTLP/HTTP receiver writing into ``store``; ``start()`` serves on a background thread.

    Args:
        store: where decoded telemetry goes.
        host, port: where to listen (port 0 picks a free one; read :attr:`port` after :meth:`start`).
        max_body: the request size limit in bytes, after decompression.
        prices: the price table the web view uses for cost.
        max_pending: how many export requests may be in progress at once; more are answered 503 + Retry-After.
    """

    def __init__(
        self,
        store: TraceStore,
        *,
        host: str = "127.0.0.1",
        port: int = 4318,
        max_body: int = DEFAULT_MAX_BODY,
        prices: PriceTable | None = None,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, not {max_pending}")
        self.store = store
        self.max_body = max_body
        self.prices = prices
        self.max_pending = max_pending
        self._pending = 0
        self._pending_lock = threading.Lock()
        receiver = self

        class Handler(_Handler):
            owner = receiver

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}"

    def start(self) -> OTLPReceiver:
        self._thread = threading.Thread(target=self.server.serve_forever, name="otlp-receiver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> OTLPReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pending(self) -> int:
        """Export requests in progress now (read, decoded or waiting for the store)."""
        return self._pending

    def _admit(self) -> bool:
        with self._pending_lock:
            if self._pending >= self.max_pending:
                return False
            self._pending += 1
            return True

    def _release(self) -> None:
        with self._pending_lock:
            self._pending -= 1

    def decode(self, signal: str, content_type: str, body: bytes) -> Batch:
        if content_type == "application/x-protobuf":
            return decode_proto(signal, body)
        batch = decode_json_bytes(body)
        wanted = {"traces": "spans", "metrics": "metrics", "logs": "logs"}[signal]
        others = [k for k in ("spans", "metrics", "logs") if k != wanted and getattr(batch, k)]
        if others:
            raise OTLPDecodeError(f"/v1/{signal} received {', '.join(others)}; send each signal to its own path")
        return batch

    def trace_list(self, limit: int) -> list[dict[str, Any]]:
        out = []
        for summary in self.store.traces(limit=limit):
            spans = self.store.spans(summary.trace_id)
            if not spans:
                continue
            analysis = analyze_trace(spans, self.prices)
            breakdown = analysis.to_dict()["breakdown"]
            out.append(
                {
                    **summary.to_dict(),
                    "root_name": analysis.root_name,
                    "breakdown": breakdown,
                    "answer": analysis.answer,
                }
            )
        return out

    def trace_detail(self, trace_id: str) -> dict[str, Any] | None:
        spans = self.store.spans(trace_id)
        if not spans:
            return None
        analysis = analyze_trace(spans, self.prices)
        return {"analysis": analysis.to_detail_dict(), "spans": [s.to_dict() for s in spans]}


class _Handler(BaseHTTPRequestHandler):
    owner: OTLPReceiver
    protocol_version = "HTTP/1.1"
    server_version = "ferry-genai"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, rpc_code: int, message: str, json_body: bool, **headers: str) -> None:
        if json_body:
            self._send(status, json.dumps({"code": rpc_code, "message": message}).encode(), "application/json", headers)
        else:
            self._send(status, encode_status(rpc_code, message), "application/x-protobuf", headers)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        signal = path.removeprefix("/v1/")
        if path not in ("/v1/traces", "/v1/metrics", "/v1/logs"):
            self._send(404, b"not found", "text/plain")
            return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        json_body = content_type != "application/x-protobuf"
        if content_type not in ("application/x-protobuf", "application/json"):
            self.close_connection = True
            self._error(415, _RPC_INVALID_ARGUMENT, f"unsupported Content-Type {content_type!r}", True)
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self.close_connection = True
            self._error(411, _RPC_INVALID_ARGUMENT, "Content-Length is required", json_body)
            return
        length = int(length_text)
        limit = self.owner.max_body
        if length > limit:
            self.close_connection = True
            self._error(413, _RPC_RESOURCE_EXHAUSTED, f"body of {length} bytes exceeds the limit of {limit}", json_body)
            return
        owner = self.owner
        if not owner._admit():
            while length > 0:  # drained, not held: the connection stays usable and memory bounded
                chunk = self.rfile.read(min(length, _DRAIN_CHUNK))
                if not chunk:
                    break
                length -= len(chunk)
            message = f"the receiver is at capacity ({owner.max_pending} requests in progress); retry later"
            self._error(503, _RPC_UNAVAILABLE, message, json_body, **{"Retry-After": "1"})
            return
        try:
            body = self.rfile.read(length)
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = _gunzip(body, limit)
            batch = owner.decode(signal, content_type, body)
            owner.store.ingest(batch)
        except PayloadTooLargeError as exc:
            self._error(413, _RPC_RESOURCE_EXHAUSTED, exc.message, json_body)
            return
        except OTLPDecodeError as exc:
            self._error(400, _RPC_INVALID_ARGUMENT, str(exc), json_body)
            return
        except StoreError as exc:
            self._error(503, _RPC_UNAVAILABLE, str(exc), json_body, **{"Retry-After": "1"})
            return
        finally:
            owner._release()
        message = "; ".join(batch.errors[:5])
        if json_body:
            payload: dict[str, Any] = {}
            if batch.rejected:
                field = {"traces": "rejectedSpans", "metrics": "rejectedDataPoints", "logs": "rejectedLogRecords"}[
                    signal
                ]
                payload["partialSuccess"] = {field: str(batch.rejected), "errorMessage": message}
            self._send(200, json.dumps(payload).encode(), "application/json")
        else:
            self._send(200, encode_response(signal, batch.rejected, message), "application/x-protobuf")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path in ("/", "/index.html"):
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif path == "/healthz":
            self._send(200, b"ok", "text/plain")
        elif path == "/api/traces":
            limit = int((parse_qs(parts.query).get("limit") or ["100"])[0])
            self._send(200, json.dumps({"traces": self.owner.trace_list(limit)}).encode(), "application/json")
        elif path.startswith("/api/traces/"):
            detail = self.owner.trace_detail(path.rsplit("/", 1)[1])
            if detail is None:
                self._send(404, b'{"error": "no such trace"}', "application/json")
            else:
                self._send(200, json.dumps(detail, default=str).encode(), "application/json")
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
