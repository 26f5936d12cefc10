"""Checklist 1-8 and 12: precedence, layering, missing keys, access reports, the malformed-value policy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ferry.config import (
    AccessEvent,
    CommandLine,
    ConfigError,
    ConversionError,
    Defaults,
    Directory,
    DotEnv,
    Environment,
    File,
    InMemory,
    MissingKeyError,
    Reader,
)


def test_c01_env_beats_file_and_file_wins_once_env_is_gone(tmp_path: Path) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text("http:\n  port: 8080\n")
    env = {"HTTP_PORT": "9090"}
    assert Reader([Environment(environ=env), File(cfg)]).get("http.port", int) == 9090
    env.pop("HTTP_PORT")
    assert Reader([Environment(environ=env), File(cfg)]).get("http.port", int) == 8080


@pytest.mark.parametrize("winner", ["cli", "env", "dotenv", "directory", "file", "defaults"])
def test_c02_each_layer_wins_exactly_when_every_higher_layer_lacks_the_key(tmp_path: Path, winner: str) -> None:
    order = ["cli", "env", "dotenv", "directory", "file", "defaults"]
    present = set(order[order.index(winner) :])
    (tmp_path / "vol").mkdir()
    if "directory" in present:
        (tmp_path / "vol" / "log.level").write_text("directory\n")
    (tmp_path / ".env").write_text("LOG_LEVEL=dotenv\n" if "dotenv" in present else "")
    (tmp_path / "app.json").write_text('{"log": {"level": "file"}}' if "file" in present else "{}")
    reader = Reader(
        [
            CommandLine(["--log-level", "cli"] if "cli" in present else []),
            Environment(environ={"LOG_LEVEL": "env"} if "env" in present else {}),
            DotEnv(tmp_path / ".env"),
            Directory(tmp_path / "vol"),
            File(tmp_path / "app.json"),
            Defaults({"log.level": "defaults"}),
        ]
    )
    assert reader.get("log.level") == winner
    assert reader.explain("log.level").provider.startswith(winner[:3])  # type: ignore[union-attr]


def test_c03_missing_everywhere_optional_default_and_required() -> None:
    reader = Reader([Environment(environ={}), Defaults({"other": 1})])
    assert reader.get("http.port", int, default=None) is None
    assert reader.get("http.port", int, default=80) == 80
    with pytest.raises(MissingKeyError) as caught:
        reader.get("http.port", int)
    message = str(caught.value)
    assert "'http.port'" in message
    assert "env (HTTP_PORT)" in message and "defaults (http.port)" in message


def test_c04_access_report_lists_each_layer_up_to_the_winner_with_its_encoded_key() -> None:
    events: list[AccessEvent] = []
    reader = Reader(
        [
            CommandLine([]),
            Environment(environ={"HTTP_SERVER_TIMEOUT": "5"}),
            Defaults({"http.serverTimeout": 30}),
        ],
        access_reporter=events.append,
    )
    assert reader.get("http.serverTimeout", int) == 5
    (event,) = events
    assert [(r.provider, r.encoded, r.found) for r in event.results] == [
        ("cli", "--http-server-timeout", False),
        ("env", "HTTP_SERVER_TIMEOUT", True),
    ]


def test_c05_policy_a_malformed_higher_value_masks_lower_layers_required_raises_default_is_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[AccessEvent] = []
    reader = Reader(
        [Environment(environ={"HTTP_PORT": "abc"}), Defaults({"http.port": 8080})], access_reporter=events.append
    )
    with pytest.raises(ConversionError):
        reader.get("http.port", int)  # the valid default below does not rescue a broken env value
    with caplog.at_level(logging.WARNING, logger="ferry.config"):
        assert reader.get("http.port", int, default=1) == 1
    assert "HTTP_PORT" in caplog.text and "using the default" in caplog.text
    assert events[-1].outcome == "default" and "cannot be read as int" in (events[-1].error or "")


def test_c06_conversion_errors_name_layer_encoded_key_and_type_and_never_a_secret() -> None:
    reader = Reader([Environment(environ={"DB_PORT": "x1", "API_TOKEN": "s3cr3t-value"})])
    with pytest.raises(ConversionError) as caught:
        reader.get("db.port", int)
    assert "env" in str(caught.value) and "DB_PORT" in str(caught.value) and "int" in str(caught.value)
    with pytest.raises(ConversionError) as secret_error:
        reader.get("api.token", int)
    assert "s3cr3t-value" not in str(secret_error.value)
    assert "<redacted str>" in str(secret_error.value)
    with pytest.raises(ConversionError) as call_site_secret:
        Reader([Environment(environ={"PLAIN": "visible-secret"})]).get("plain", float, secret=True)
    assert "visible-secret" not in str(call_site_secret.value)


def test_c07_an_empty_provider_list_is_rejected() -> None:
    with pytest.raises(ConfigError, match="at least one provider"):
        Reader([])


def test_c08_lower_layers_contribute_sub_keys_the_higher_lacks(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("db:\n  host: db.prod\n")
    reader = Reader([File(tmp_path / "app.yaml"), Defaults({"db": {"host": "localhost", "port": 5432}})])
    assert reader.get("db.host") == "db.prod"
    assert reader.get("db.port", int) == 5432  # merged per key, not shadowed as a whole "db" mapping


def test_c12_an_env_prefix_applies_to_the_env_layer_only(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text('[log]\nlevel = "file"\n')
    env = Environment(prefix="MYAPP", environ={"MYAPP_HTTP_PORT": "1", "HTTP_PORT": "2"})
    reader = Reader([env, File(tmp_path / "app.toml")])
    assert reader.get("http.port", int) == 1
    assert reader.explain("http.port").encoded == "MYAPP_HTTP_PORT"
    assert reader.get("log.level") == "file"
    assert Environment(prefix="MYAPP_", environ={"MYAPP_A": "x"}).get("a") == "x"


def test_in_memory_flat_and_nested_mappings_agree() -> None:
    assert Reader([InMemory({"a.b": 1})]).get("a.b", int) == Reader([InMemory({"a": {"b": 1}})]).get("a.b", int)
