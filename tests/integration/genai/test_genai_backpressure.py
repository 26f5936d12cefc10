"""Back-pressure: a receiver at capacity answers 503 with Retry-After at once, and recovers (real HTTP, in-process)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from genai_server import Server, retry_trace_json

from ferry.genai import OTLPReceiver, TraceStore

pytestmark = pytest.mark.integration


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def test_requests_beyond_max_pending_get_503_retry_after_and_the_rest_commit(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite") as store, OTLPReceiver(store, port=0, max_pending=1) as receiver:
        server = Server(receiver.url, tmp_path / "s.sqlite")
        first: dict[str, int] = {}
        body = json.dumps(retry_trace_json("7" * 32)).encode()
        store._lock.acquire()  # the store is busy writing: the first request waits inside the receiver
        try:
            worker = threading.Thread(
                target=lambda: first.update(status=server.post("/v1/traces", body, "application/json")[0])
            )
            worker.start()
            _wait_for(lambda: receiver.pending == 1)
            other = json.dumps(retry_trace_json("8" * 32)).encode()
            status, headers, payload = server.post("/v1/traces", other, "application/json")
            assert status == 503
            assert headers["Retry-After"] == "1"
            assert "at capacity" in json.loads(payload)["message"]
        finally:
            store._lock.release()
        worker.join(60)
        assert first == {"status": 200}
        assert receiver.pending == 0
        assert [t.trace_id for t in store.traces()] == ["7" * 32]
        status, _, _ = server.post("/v1/traces", other, "application/json")
        assert status == 200
        assert {t.trace_id for t in store.traces()} == {"7" * 32, "8" * 32}


def test_max_pending_must_be_positive(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite") as store, pytest.raises(ValueError, match="max_pending"):
        OTLPReceiver(store, port=0, max_pending=0)
