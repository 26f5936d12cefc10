"""Checklist 9-11, 13-15: how each provider spells a key, collisions, case, malformed keys, scopes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry.config import (
    CommandLine,
    Defaults,
    Directory,
    Environment,
    File,
    InvalidKeyError,
    KeyCollisionError,
    ParseError,
    Reader,
    cli_flag,
    env_name,
)


def test_c09_log_level_in_every_provider(tmp_path: Path) -> None:
    assert env_name("log.level") == "LOG_LEVEL"
    assert cli_flag("log.level") == "--log-level"
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "log.level").write_text("debug\n")
    nested = tmp_path / "nested"
    (nested / "log").mkdir(parents=True)
    (nested / "log" / "level").write_text("info")
    (tmp_path / "c.json").write_text('{"log": {"level": "warning"}}')
    (tmp_path / "c.yaml").write_text("log:\n  level: error\n")
    assert Reader([Environment(environ={"LOG_LEVEL": "e"})]).get("log.level") == "e"
    assert Reader([CommandLine(["--log-level", "c"])]).get("log.level") == "c"
    assert Reader([Directory(flat)]).get("log.level") == "debug"
    assert Reader([Directory(nested)]).get("log.level") == "info"
    assert Reader([Directory(nested)]).explain("log.level").encoded == "log/level"
    assert Reader([File(tmp_path / "c.json")]).get("log.level") == "warning"
    assert Reader([File(tmp_path / "c.yaml")]).get("log.level") == "error"


def test_c10_camel_case_components_split() -> None:
    assert env_name("http.serverTimeout") == "HTTP_SERVER_TIMEOUT"
    assert cli_flag("http.serverTimeout") == "--http-server-timeout"
    assert env_name("pollIntervalSeconds") == "POLL_INTERVAL_SECONDS"
    reader = Reader([CommandLine(["--http-server-timeout=7"]), Environment(environ={"HTTP_SERVER_TIMEOUT": "9"})])
    assert reader.get("http.serverTimeout", int) == 7


def test_c11_non_alphanumerics_map_deterministically_and_collisions_are_reported(tmp_path: Path) -> None:
    assert env_name("http.user-agent") == "HTTP_USER_AGENT"
    assert cli_flag("http.user_agent") == "--http-user-agent"
    reader = Reader(
        [
            Environment(environ={"LOG_LEVEL": "debug"}),
            Defaults({"log.level": "info", "logLevel": "x", "log_level": "y"}),
        ]
    )
    (collision,) = [c for c in reader.collisions() if c.provider == "env"]
    assert collision.encoded == "LOG_LEVEL"
    assert collision.keys == ("log.level", "logLevel", "log_level")
    assert collision.present
    assert reader.explain("logLevel").collisions == (collision,)
    # inside one source a collision is an error, not a silent shadow
    (tmp_path / "c.json").write_text('{"a.b": 1, "a": {"b": 2}}')
    with pytest.raises(KeyCollisionError, match=r"'a\.b'"):
        File(tmp_path / "c.json")
    vol = tmp_path / "vol"
    (vol / "log").mkdir(parents=True)
    (vol / "log" / "level").write_text("a")
    (vol / "log.level").write_text("b")
    with pytest.raises(KeyCollisionError, match="log/level"):
        Directory(vol)


def test_c13_env_lookup_is_exact_and_case_sensitive() -> None:
    reader = Reader([Environment(environ={"log_level": "lower", "Log_Level": "mixed"})])
    assert reader.get("log.level", default=None) is None
    assert Reader([Environment(environ={"LOG_LEVEL": "upper"})]).get("log.level") == "upper"


@pytest.mark.parametrize("bad", ["a..b", ".a", "a.", "", "a. b"])
def test_c14_empty_components_and_stray_dots_are_rejected(bad: str) -> None:
    reader = Reader([Defaults({"a.b": 1})])
    with pytest.raises(InvalidKeyError):
        reader.get(bad)
    with pytest.raises(InvalidKeyError):
        reader.scoped(bad)


def test_c14_bad_keys_inside_sources_are_parse_errors(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"a..b": 1}')
    with pytest.raises(ParseError, match=r"a\.\.b"):
        File(tmp_path / "c.json")


def test_c15_scoped_readers_prefix_and_nest_without_changing_key_splitting() -> None:
    reader = Reader(
        [
            Environment(environ={"HTTP_CLIENT_USER_AGENT": "ferry"}),
            Defaults({"http": {"timeout": 5, "client": {"retries": 3}}}),
        ]
    )
    http = reader.scoped("http")
    assert http.get("timeout", int) == 5
    client = http.scoped("client")
    assert client.prefix == "http.client"
    assert client.get("retries", int) == 3
    assert client.get("userAgent") == "ferry"
    assert client.explain("userAgent").encoded == "HTTP_CLIENT_USER_AGENT"
    assert reader.get("userAgent", default=None) is None
    assert http.snapshot().get("client.retries", int) == 3
    assert http.snapshot().keys() == ["client.retries", "timeout"]
