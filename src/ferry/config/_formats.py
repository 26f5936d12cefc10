"""JSON, YAML and TOML documents as flat configuration tables (pure)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

import yaml

from ferry.config._errors import ParseError
from ferry.config._tree import flatten
from ferry.config._values import Entry

__all__ = ["FORMATS", "format_of", "parse_document"]

FORMATS = ("json", "yaml", "toml")
_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}

try:  # libyaml when present
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def format_of(path: str | PurePath) -> str:
    suffix = PurePath(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ParseError(
            f"{path}: cannot tell the format from the suffix {suffix or '(none)'}",
            hint="name the file .json, .yaml, .yml or .toml, or pass format='json'|'yaml'|'toml'",
        )
    return _SUFFIXES[suffix]


def _load(data: bytes, fmt: str, source: str) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if fmt == "json":
        try:
            return json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ParseError(f"{source}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParseError(f"{source}: invalid TOML: {exc}") from None
    if fmt == "yaml":
        try:
            docs = list(yaml.load_all(text, Loader=_Loader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ParseError(f"{source}{line}: invalid YAML: {exc.problem or exc.context}") from None
        except yaml.YAMLError as exc:
            raise ParseError(f"{source}: invalid YAML: {exc}") from None
        docs = [d for d in docs if d is not None]
        if len(docs) > 1:
            raise ParseError(f"{source}: {len(docs)} YAML documents; a configuration file holds one")
        return docs[0] if docs else {}
    raise ParseError(f"{source}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def parse_document(
    data: bytes, fmt: str, *, source: str, is_secret: Callable[[str], bool] = lambda _k: False
) -> dict[str, Entry]:
    """Parse ``data`` and flatten it (``log: {level: x}`` → ``log.level``). The top level must be a mapping."""
    loaded = _load(data, fmt, source)
    if not isinstance(loaded, Mapping):
        raise ParseError(f"{source}: the top level must be a mapping, found {type(loaded).__name__}")
    return flatten(loaded, source=source, is_secret=is_secret)
