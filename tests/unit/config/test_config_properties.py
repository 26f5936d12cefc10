"""Property tests of the pure logic: key spelling, .env quoting, command-line forms, conversions."""

from __future__ import annotations

import base64
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ferry.config import cli_flag, env_name
from ferry.config._argv import parse_argv
from ferry.config._dotenv import parse_dotenv
from ferry.config._values import Hex, convert

component = st.from_regex(r"[a-z][a-zA-Z0-9]{0,12}", fullmatch=True)
keys = st.lists(component, min_size=1, max_size=4).map(".".join)


@settings(max_examples=50, deadline=None)
@given(keys)
def test_spellings_are_deterministic_and_well_formed(key: str) -> None:
    assert env_name(key) == env_name(key)
    assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", env_name(key))
    assert cli_flag(key).startswith("--") and cli_flag(key) == cli_flag(key).lower()
    assert env_name(key, "APP_") == "APP_" + env_name(key)
    assert cli_flag(key)[2:].replace("-", "_").upper() == env_name(key)  # the two spellings split words alike


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40))
def test_dotenv_double_quoted_values_round_trip(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    assert parse_dotenv(f'KEY="{escaped}"\n') == {"KEY": value}


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\n\r\x00"), max_size=40))
def test_dotenv_single_quoted_values_are_literal(value: str) -> None:
    assert parse_dotenv(f"export KEY='{value}'\n") == {"KEY": value}


@settings(max_examples=50, deadline=None)
@given(keys, st.from_regex(r"[a-zA-Z0-9_./:]{1,20}", fullmatch=True) | st.integers().map(str))
def test_cli_equals_and_space_forms_agree(key: str, value: str) -> None:
    flag = cli_flag(key)
    assert parse_argv([f"{flag}={value}"]).flags == parse_argv([flag, value]).flags == {flag: (value,)}


@settings(max_examples=50, deadline=None)
@given(st.integers())
def test_integers_survive_every_text_form(n: int) -> None:
    assert convert(str(n), int) == convert(f"  {n}\n".encode(), int) == convert((str(n),), int) == n
    if abs(n) < 2**52:  # exactly representable as a float
        assert convert(float(n), int) == n


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_bytes_decoders_round_trip(data: bytes) -> None:
    assert convert(base64.b64encode(data).decode(), bytes) == data
    assert convert(data.hex(), Hex) == data


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(), max_size=8))
def test_int_lists_from_comma_text(values: list[int]) -> None:
    assert convert(",".join(map(str, values)), list[int]) == values
