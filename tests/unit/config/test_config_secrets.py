"""Checklist 22-24: secrets are redacted in repr, str, access logs, dumps and exception messages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ferry.config import (
    AccessLog,
    CommandLine,
    ConversionError,
    Directory,
    Environment,
    File,
    InMemory,
    Reader,
    redact,
)

SECRET = "hunter2-very-secret"


def _all_text(reader: Reader, key: str, target: type = str) -> str:
    """Everything ferry.config can say about ``key``: explain, dump, provider descriptions and reprs."""
    parts = [str(reader.explain(key)), repr(reader.explain(key)), str(reader.explain(key).to_dict())]
    parts += [str(e.to_dict()) for e in reader.dump([key])]
    parts += [p.describe() for p in reader.providers] + [repr(p) for p in reader.providers]
    parts += [repr(reader), repr(reader.snapshot())]
    try:
        reader.get(key, target)
    except ConversionError as exc:
        parts.append(str(exc))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "provider",
    [
        pytest.param(lambda d: Directory(d, secret=True), id="directory-secret-volume"),
        pytest.param(lambda d: Environment(environ={"DB_PASS": SECRET}, secret={"DB_PASS"}), id="explicit-set"),
        pytest.param(lambda d: Environment(environ={"DB_PASS": SECRET}, secret=lambda n: n.endswith("PASS")), id="fn"),
        pytest.param(lambda d: CommandLine(["--db-pass", SECRET], secret={"--db-pass"}), id="cli"),
    ],
)
def test_c22_provider_marked_secrets_are_redacted_everywhere(tmp_path: Path, provider: object) -> None:
    (tmp_path / "db.pass").write_text(SECRET)
    out = io.StringIO()
    reader = Reader([provider(tmp_path)], access_reporter=AccessLog(out))  # type: ignore[operator]
    assert reader.get("db.pass") == SECRET  # the program still gets the value
    text = _all_text(reader, "db.pass", int) + out.getvalue()
    assert SECRET not in text
    assert "<redacted str>" in text


def test_c22_name_patterns_mark_secrets(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(f"db:\n  password: {SECRET}\n  host: db\napi:\n  apiKey: {SECRET}\n")
    reader = Reader([File(tmp_path / "c.yaml")])
    assert reader.explain("db.password").secret and reader.explain("api.apiKey").secret
    assert not reader.explain("db.host").secret
    assert SECRET not in _all_text(reader, "db.password", int) + _all_text(reader, "api.apiKey", int)


def test_c23_call_site_secrecy_ors_with_the_provider() -> None:
    out = io.StringIO()
    reader = Reader([InMemory({"plain": SECRET, "marked": SECRET}, secret={"marked"})], access_reporter=AccessLog(out))
    assert reader.get("plain", secret=True) == SECRET
    assert reader.get("marked", secret=False) == SECRET  # secret=False does not unmark a provider secret
    assert SECRET not in out.getvalue()
    assert reader.explain("plain", secret=True).secret
    assert reader.explain("marked").secret
    assert SECRET in str(reader.explain("plain"))  # not secret unless someone says so


def test_c24_redaction_keeps_the_type_only() -> None:
    assert redact(SECRET) == "<redacted str>"
    assert redact(b"\x00\x01") == "<redacted bytes>"
    assert redact(12345) == "<redacted int>"
    assert redact(("a",)) == "<redacted str>"
    assert redact(SECRET) == redact("x")  # no length, no hash, no prefix
