"""Checklist 31, 53, 54: no torn snapshots under a reload storm, and warm reads that do no resolution work."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

from ferry.config import Defaults, File, MutableInMemory, Reader
from ferry.config import _layer as layer_module


def _storm(
    reader: Reader, publish: object, *, readers: int = 4, seconds: float = 0.6, publications: int = 20
) -> tuple[int, int, int]:
    """Readers take snapshots and read a pair while ``publish(i)`` runs for at least ``seconds`` and at least
    ``publications`` times (at most 10 s)."""
    stop = threading.Event()
    counts = {"pairs": 0, "torn": 0, "missing": 0}
    lock = threading.Lock()

    def read() -> None:
        pairs = torn = missing = 0
        while not stop.is_set():
            snapshot = reader.snapshot()
            a = snapshot.get("pair.a", int, default=None)
            b = snapshot.get("pair.b", int, default=None)
            pairs += 1
            if a is None or b is None:
                missing += 1
            elif a != b:
                torn += 1
        with lock:
            counts["pairs"] += pairs
            counts["torn"] += torn
            counts["missing"] += missing

    threads = [threading.Thread(target=read) for _ in range(readers)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for t in threads:
            t.start()
        i = 0
        start = time.monotonic()
        while True:
            elapsed = time.monotonic() - start
            if (elapsed >= seconds and i >= publications) or elapsed > 10:
                break
            i += 1
            publish(i)  # type: ignore[operator]
        stop.set()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    return counts["pairs"], counts["torn"], counts["missing"]


def test_c31_snapshot_pairs_never_tear_under_in_memory_publication() -> None:
    source = MutableInMemory({"pair": {"a": 0, "b": 0}})
    reader = Reader([source, Defaults({"pair.a": -1})])
    pairs, torn, missing = _storm(reader, lambda i: source.update({"pair.a": i, "pair.b": i}))
    assert pairs > 1000
    assert (torn, missing) == (0, 0)


def test_c31_snapshot_pairs_never_tear_under_file_reloads(tmp_path: Path) -> None:
    path = tmp_path / "pair.json"
    path.write_text(json.dumps({"pair": {"a": 0, "b": 0}}))
    provider = File(path)
    reader = Reader([provider])

    def publish(i: int) -> None:
        tmp = tmp_path / "pair.tmp"
        tmp.write_text(json.dumps({"pair": {"a": i, "b": i}}))
        tmp.replace(path)
        provider.reload()

    pairs, torn, missing = _storm(reader, publish)
    assert provider.status.reloads >= 20
    assert pairs > 1000
    assert (torn, missing) == (0, 0)


def test_c53_warm_reads_do_no_resolution_work(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Reader([MutableInMemory({"http.port": "8080"}), Defaults({"x": 1})])
    snapshot = reader.snapshot()
    assert snapshot.get("http.port", int) == 8080  # the cold read resolves and converts once
    lookups = 0
    real = layer_module.Layer.lookup

    def counting(self: object, key: str) -> object:
        nonlocal lookups
        lookups += 1
        return real(self, key)  # type: ignore[arg-type]

    monkeypatch.setattr(layer_module.Layer, "lookup", counting)
    for _ in range(1000):
        assert snapshot.get("http.port", int) == 8080
        assert reader.get("http.port", int) == 8080
        assert snapshot.typed(int)["http.port"] == 8080
        assert reader.scoped("http").get("port", int) == 8080  # scoped reads are served from the cache too
    assert lookups == 0
    assert snapshot.typed(int) is snapshot.typed(int)
    tags = Reader([Defaults({"tags": ["a"]})])
    first = tags.get("tags", list[str])
    first.append("mutated")
    assert tags.get("tags", list[str]) == ["a"]  # lists are handed out fresh, never shared


def test_c54_the_stress_test_reports_which_interpreter_ran_it() -> None:
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    source = MutableInMemory({"pair": {"a": 0, "b": 0}})
    reader = Reader([source])
    pairs, torn, missing = _storm(reader, lambda i: source.update({"pair.a": i, "pair.b": i}), readers=2, seconds=0.3)
    assert pairs > 100
    assert (torn, missing) == (0, 0), f"GIL enabled: {gil}"
