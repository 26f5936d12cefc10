"""The converter's YAML writer reads back exactly what it was given."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry.gateway import load_objects, read_ingress_input
from ferry.gateway._convert import convert
from ferry.gateway._yamlout import dump_stream

TRICKY = [
    "yes",
    "No",
    "on",
    "null",
    "~",
    "",
    " x",
    "x ",
    "1.0",
    "0x1F",
    "1e3",
    "0s",
    "a: b",
    "#x",
    "x #y",
    "- x",
    "(?i)/x.*",
    "*.example.com",
    "@x",
    "`x",
    "%x",
    "!x",
    "&x",
    "a\nb",
    "plain\n",
    "tab\there",
    "é",
    "\u2028",
    "'q'",
    '"q"',
    "2024-01-01",
    "{}",
    "[]",
    ".inf",
    "-",
    "?",
    ":",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_round_trip(text: str) -> None:
    data = {"k": text, text or "empty": [text, {"n": text}], "list": [[text]], "empty": {}, "none": []}
    assert yaml.safe_load(dump_stream([data])) == data


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
        max_leaves=12,
    )
)
def test_any_plain_data_round_trips(value: object) -> None:
    data = {"v": value}
    assert yaml.safe_load(dump_stream([data])) == data


def test_corpus_output_round_trips(shared: Path) -> None:
    objects, _ = load_objects([str(shared / "corpus" / "gateway" / "ingress-nginx")])
    conversion = convert(read_ingress_input(objects))
    assert list(yaml.safe_load_all(dump_stream(conversion.objects))) == [dict(o) for o in conversion.objects]
