"""Checklist 46-49: access events, the env-enabled access log, explain, the effective-config dump."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from ferry.config import (
    ACCESS_LOG_ENV,
    AccessEvent,
    Defaults,
    Environment,
    File,
    InMemory,
    MissingKeyError,
    MutableInMemory,
    Reader,
)


def test_c46_every_read_emits_a_complete_event() -> None:
    events: list[AccessEvent] = []
    source = MutableInMemory({"http.port": "80"})
    reader = Reader([source, Defaults({"x": 1})], access_reporter=events.append)
    line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
    reader.get("http.port", int)
    reader.snapshot().get("http.port", int)
    reader.get("nope", default="d")
    with pytest.raises(MissingKeyError):
        reader.get("nope")
    watch = reader.watch("http.port", int)
    next(watch)
    watch.close()
    kinds = [(e.kind, e.outcome) for e in events]
    assert kinds == [
        ("get", "value"),
        ("snapshot", "value"),
        ("get", "default"),
        ("get", "missing"),
        ("watch", "value"),
    ]
    first = events[0]
    assert first.key == "http.port" and first.type == "int" and first.value == "80"
    assert first.location is not None and first.location.endswith(f"{Path(__file__).name}:{line}")
    assert first.timestamp > 0 and first.results[0].provider == "mutable"
    assert events[3].error is not None and "nope" in events[3].error


def test_c47_one_env_var_turns_on_a_single_line_redacted_access_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "access.log"
    reader = Reader([InMemory({"db.password": "pa55\nword", "note": "two\nlines"})], environ={ACCESS_LOG_ENV: str(log)})
    reader.get("db.password")
    reader.get("note")
    reader.get("absent", default=None)
    lines = log.read_text().splitlines()
    assert len(lines) == 3
    assert "pa55" not in log.read_text() and "<redacted str>" in lines[0]
    assert "two\\nlines" in lines[1]
    assert " get absent as str -> default None " in lines[2]
    assert Reader([InMemory({})], environ={})._core.reporter is None  # off by default


def test_c48_explain_winner_encoded_raw_converted_and_shadowed(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("log:\n  level: info\ndb:\n  password: file-pass\n")
    reader = Reader(
        [
            Environment(environ={"LOG_LEVEL": " debug ", "DB_PASSWORD": "env-pass"}),
            File(tmp_path / "c.yaml", name="ferry.yaml"),
            Defaults({"log.level": "warning"}),
        ]
    )
    explained = reader.explain("log.level")
    assert (explained.provider, explained.encoded, explained.raw, explained.value) == (
        "env",
        "LOG_LEVEL",
        "' debug '",
        "'debug'",
    )
    assert [(r.provider, r.encoded, r.value) for r in explained.shadowed] == [
        ("ferry.yaml", "log.level", "'info'"),
        ("defaults", "log.level", "'warning'"),
    ]
    secret = reader.explain("db.password")
    assert secret.shadowed[0].value == "<redacted str>" and "pass" not in str(secret).replace("password", "")
    assert not reader.explain("missing").found


def test_c49_dump_lists_every_known_key_with_its_source_redacted(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"api": {"token": "tkn-123"}, "http": {"port": 80}}')
    reader = Reader([Environment(environ={"HTTP_PORT": "81"}), File(tmp_path / "c.json"), Defaults({"color": "auto"})])
    dump = {e.key: (e.provider, e.value) for e in reader.dump()}
    assert dump == {
        "api.token": (f"file:{tmp_path / 'c.json'}", "<redacted str>"),
        "color": ("defaults", "'auto'"),
        "http.port": ("env", "'81'"),
    }
