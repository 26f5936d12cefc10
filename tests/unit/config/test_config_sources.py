"""Checklist 50-52: the environment is captured once, the .env format, command-line parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ferry.config import CommandLine, DotEnv, Environment, ParseError, Reader, SourceNotFoundError, UnknownFlagError


def test_c50_environment_is_captured_once_and_never_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FERRY_TEST_C50", "before")
    env = Environment(prefix="FERRY_TEST")
    reader = Reader([env])
    snapshot_of_environ = dict(os.environ)
    monkeypatch.setenv("FERRY_TEST_C50", "after")
    assert reader.get("c50") == "before"
    assert env.refresh() is True
    assert reader.get("c50") == "after"
    assert env.refresh() is False  # nothing changed: no publication
    snapshot_of_environ["FERRY_TEST_C50"] = "after"
    assert dict(os.environ) == snapshot_of_environ


DOTENV = """\
# a comment

export EXPORTED=yes
PLAIN = value with spaces   # trailing comment
SINGLE='keep \\n # as is'
DOUBLE="line\\nnext \\"quoted\\" # kept"
URL=postgres://u:p@h/db?sslmode=require&x=1
EQUALS=a=b=c
DUP=first
DUP=second
EMPTY=
MULTI="one
two"
"""


def test_c51_dotenv_format(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(DOTENV)
    env = DotEnv(path)
    values = {e.encoded: e.value for e in env.layer().table.values()}
    assert values == {
        "EXPORTED": "yes",
        "PLAIN": "value with spaces",
        "SINGLE": "keep \\n # as is",
        "DOUBLE": 'line\nnext "quoted" # kept',
        "URL": "postgres://u:p@h/db?sslmode=require&x=1",
        "EQUALS": "a=b=c",
        "DUP": "second",
        "EMPTY": "",
        "MULTI": "one\ntwo",
    }


def test_c51_real_environment_beats_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=from-dotenv\nHTTP_PORT=1\n")
    reader = Reader([Environment(environ={"LOG_LEVEL": "from-env"}), DotEnv(tmp_path / ".env")])
    assert reader.get("log.level") == "from-env"
    assert reader.get("http.port", int) == 1


def test_dotenv_errors_name_the_line_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GOOD=1\nthis is not an assignment\n")
    with pytest.raises(ParseError, match=r"\.env:2"):
        DotEnv(tmp_path / ".env")
    (tmp_path / "q.env").write_text('A="unterminated\n')
    with pytest.raises(ParseError, match="unterminated"):
        DotEnv(tmp_path / "q.env")
    with pytest.raises(SourceNotFoundError):
        DotEnv(tmp_path / "missing.env")
    assert len(DotEnv(tmp_path / "missing.env", allow_missing=True)) == 0


def test_c52_cli_forms_terminator_unknown_flags_and_negative_numbers() -> None:
    a = Reader([CommandLine(["--http-port=8080"])])
    b = Reader([CommandLine(["--http-port", "8080"])])
    assert a.get("http.port", int) == b.get("http.port", int) == 8080
    cli = CommandLine(["serve", "--offset", "-1", "--ratio=-0.5", "--name", "x", "--", "--not-a-flag", "file"])
    reader = Reader([cli])
    assert reader.get("offset", int) == -1
    assert reader.get("ratio", float) == -0.5
    assert reader.get("name") == "x"  # "--" ended the values: nothing after it was swallowed
    assert reader.get("not.a.flag", default=None) is None
    assert cli.positionals == ("serve", "--not-a-flag", "file")
    assert CommandLine(["--typo", "1"], known=["log.level"]).unknown_flags == ("--typo",)
    with pytest.raises(UnknownFlagError, match="--typo"):
        CommandLine(["--log-level", "x", "--typo", "1"], known=["log.level"], unknown="error")
    CommandLine(["--log-level", "x"], known=["log.level"], unknown="error")  # known flags pass


def test_cli_values_and_empty_values() -> None:
    reader = Reader([CommandLine(["--empty=", "--many", "a", "b"])])
    assert reader.get("empty") == ""
    with pytest.raises(Exception, match="expected one value"):
        reader.get("many")
