from __future__ import annotations

import pytest

from ferry._kernel import dump_yaml, load_documents
from ferry.errors import ManifestError


def test_documents_keep_index_and_line() -> None:
    text = "a: 1\n---\n# comment\nb:\n  c: [1, 2]\n---\n---\nd: x\n"
    docs = load_documents(text, "f.yaml")
    assert [d.index for d in docs] == [0, 1, 3]
    assert [d.line for d in docs] == [1, 4, 8]
    assert docs[1].data == {"b": {"c": [1, 2]}}


def test_line_of_nested_field_and_fallback_to_parent() -> None:
    docs = load_documents("kind: X\nspec:\n  rules:\n  - host: a\n  - host: b\n", "f.yaml")
    assert docs[0].line_of("spec", "rules", 1, "host") == 5
    assert docs[0].line_of("spec", "missing", "deeper") == 2


def test_syntax_error_names_file_line_and_document() -> None:
    with pytest.raises(ManifestError) as info:
        load_documents("a: 1\n---\nb: [1, 2\nc: 3\n", "bad.yaml")
    err = info.value
    assert err.path == "bad.yaml"
    assert err.document == 1
    assert err.line is not None and err.line >= 3
    assert str(err).startswith("bad.yaml:")


def test_dump_is_deterministic_and_keeps_order() -> None:
    data = {"z": 1, "a": {"y": [1, "two"], "b": None}}
    assert dump_yaml(data) == dump_yaml(data)
    assert dump_yaml(data).splitlines()[0] == "z: 1"
    assert dump_yaml([{"a": 1}, {"b": 2}], documents=True) == "a: 1\n---\nb: 2\n"
