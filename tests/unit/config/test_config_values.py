"""Checklist 16-21: typed values."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import pytest

from ferry.config import (
    AccessEvent,
    CommandLine,
    ConversionError,
    Defaults,
    Directory,
    Environment,
    File,
    Hex,
    InMemory,
    ParseError,
    Reader,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("true", True), ("TRUE", True), ("Yes", True), ("on", True), ("1", True)],
        *[("false", False), ("No", False), ("OFF", False), ("0", False)],
    ],
)
def test_c16_bool_accepts_the_table_case_insensitively(tmp_path: Path, text: str, expected: bool) -> None:
    assert Reader([Environment(environ={"DEBUG": text})]).get("debug", bool) is expected
    (tmp_path / "debug").write_text(text + "\n")
    assert Reader([Directory(tmp_path)]).get("debug", bool) is expected


@pytest.mark.parametrize("text", ["", "2", "yes!", "11", "00"])
def test_c16_bool_rejects_anything_else(text: str) -> None:
    with pytest.raises(ConversionError, match="bool"):
        Reader([Environment(environ={"DEBUG": text})]).get("debug", bool)


def test_c16_cli_bare_flag_is_true_and_no_flag_is_false() -> None:
    reader = Reader([CommandLine(["--debug", "--no-color"])])
    assert reader.get("debug", bool) is True
    assert reader.get("color", bool) is False


def test_c17_int_is_strict_and_json_numbers_must_be_exactly_integral(tmp_path: Path) -> None:
    for text in ("1.5", "1e3", "0x10", "", " "):
        with pytest.raises(ConversionError):
            Reader([Environment(environ={"N": text})]).get("n", int)
    assert Reader([Environment(environ={"N": " -42 "})]).get("n", int) == -42
    (tmp_path / "c.json").write_text('{"a": 3.0, "b": 3.5, "c": true}')
    reader = Reader([File(tmp_path / "c.json")])
    assert reader.get("a", int) == 3
    with pytest.raises(ConversionError):
        reader.get("b", int)
    with pytest.raises(ConversionError):
        reader.get("c", int)
    assert reader.get("b", float) == 3.5


def test_c18_lists_from_env_cli_and_files(tmp_path: Path) -> None:
    assert Reader([Environment(environ={"TAGS": "a, b ,c"})]).get("tags", list[str]) == ["a", "b", "c"]
    cli = Reader([CommandLine(["--tags", "a", "b", "--tags", "c,d", "--ports=1,2"])])
    assert cli.get("tags", list[str]) == ["a", "b", "c", "d"]
    assert cli.get("ports", list[int]) == [1, 2]
    with pytest.raises(ConversionError, match="element 1 is empty"):
        Reader([Environment(environ={"PORTS": "1,,2"})]).get("ports", list[int])
    assert Reader([Environment(environ={"TAGS": "a,,b"})]).get("tags", list[str]) == ["a", "", "b"]
    assert Reader([Environment(environ={"TAGS": ""})]).get("tags", list[str]) == []
    (tmp_path / "c.yaml").write_text("ports: [80, 443]\nratios: [0.5, 1]\n")
    assert Reader([File(tmp_path / "c.yaml")]).get("ports", list[int]) == [80, 443]
    assert Reader([File(tmp_path / "c.yaml")]).get("ratios", list[float]) == [0.5, 1.0]


def test_c19_bytes_base64_hex_and_raw_untrimmed_directory_files(tmp_path: Path) -> None:
    env = Reader([Environment(environ={"KEY": "aGVsbG8=", "HEX_KEY": "68656c6c6f", "ODD": "abc"})])
    assert env.get("key", bytes) == b"hello"
    assert env.get("hexKey", Hex) == b"hello"
    with pytest.raises(ConversionError, match="even"):
        env.get("odd", Hex)
    with pytest.raises(ConversionError, match="base64"):
        Reader([Environment(environ={"KEY": "!!"})]).get("key", bytes)
    (tmp_path / "cert").write_bytes(b"  line one\nline two\n\n")
    reader = Reader([Directory(tmp_path)])
    assert reader.get("cert", bytes) == b"  line one\nline two\n\n"
    assert reader.get("cert") == "line one\nline two"


class Level(enum.Enum):
    DEBUG = "debug"
    INFO = "info"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True)
class Duration:
    seconds: float


def parse_duration(text: str) -> Duration:
    units = {"ms": 0.001, "s": 1, "m": 60}
    for suffix in ("ms", "s", "m"):
        if text.endswith(suffix):
            return Duration(float(text[: -len(suffix)]) * units[suffix])
    raise ValueError(text)


def test_c20_enums_and_registered_converters() -> None:
    events: list[AccessEvent] = []
    reader = Reader(
        [Environment(environ={"LEVEL": "debug", "PRIO": "2", "NAMED": "INFO", "TIMEOUT": "250ms", "BAD": "x"})],
        converters={Duration: parse_duration},
        access_reporter=events.append,
    )
    assert reader.get("level", Level) is Level.DEBUG
    assert reader.get("named", Level) is Level.INFO
    assert reader.get("prio", Priority) is Priority.HIGH
    assert reader.get("timeout", Duration) == Duration(0.25)
    assert reader.get("bad", Duration, default=Duration(1)) == Duration(1)
    assert events[-1].outcome == "default" and "converter refused it" in (events[-1].error or "")
    with pytest.raises(ConversionError, match="Duration"):
        reader.get("bad", Duration)
    with pytest.raises(ConversionError, match="debug, info"):
        reader.get("bad", Level)
    with pytest.raises(ConversionError, match="no converter"):
        reader.get("bad", complex)


def test_c21_json_null_is_absent_and_mixed_arrays_are_rejected_with_their_path(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"a": null, "b": {"c": null}}')
    reader = Reader([File(tmp_path / "c.json"), Defaults({"a": "lower", "b.c": "lower"})])
    assert reader.get("a") == "lower" and reader.get("b.c") == "lower"
    (tmp_path / "mixed.json").write_text('{"x": {"y": [1, "two"]}}')
    with pytest.raises(ParseError, match=r"x\.y is a list of number/bool and string"):
        File(tmp_path / "mixed.json")
    (tmp_path / "objects.yaml").write_text("x:\n  - {a: 1}\n")
    with pytest.raises(ParseError, match="x"):
        File(tmp_path / "objects.yaml")
    with pytest.raises(ParseError):
        InMemory({"x": [1, [2]]})


def test_structured_strings_and_numbers_convert_by_the_same_rules(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('port = "8080"\nratio = 2\nflag = "yes"\nname = 7\n')
    reader = Reader([File(tmp_path / "c.toml")])
    assert reader.get("port", int) == 8080
    assert reader.get("ratio", float) == 2.0
    assert reader.get("flag", bool) is True
    assert reader.get("name") == "7"
