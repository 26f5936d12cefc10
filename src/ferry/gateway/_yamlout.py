"""A fast, deterministic YAML writer for the plain data the converter emits (pure).

Block style, keys in insertion order; strings are plain when they cannot be read back as anything else
(``[A-Za-z_/][A-Za-z0-9_./-]*`` and not a YAML 1.1 boolean or null) and double-quoted JSON strings otherwise,
which YAML reads back unchanged. About ten times faster than PyYAML's emitter on converter output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["dump_stream", "dump_value"]

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _emit(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = _scalar(key)
            if isinstance(item, Mapping) and item:
                out.append(f"{indent}{name}:\n")
                _emit(item, indent + "  ", out)
            elif isinstance(item, list) and item:
                out.append(f"{indent}{name}:\n")
                _emit(item, indent, out)
            else:
                out.append(f"{indent}{name}: {_empty_or_scalar(item)}\n")
        return
    for item in value:
        if isinstance(item, Mapping) and item:
            first = True
            for key, sub in item.items():
                lead = f"{indent}- " if first else f"{indent}  "
                first = False
                name = _scalar(key)
                if isinstance(sub, Mapping) and sub:
                    out.append(f"{lead}{name}:\n")
                    _emit(sub, indent + "    ", out)
                elif isinstance(sub, list) and sub:
                    out.append(f"{lead}{name}:\n")
                    _emit(sub, indent + "  ", out)
                else:
                    out.append(f"{lead}{name}: {_empty_or_scalar(sub)}\n")
        elif isinstance(item, list) and item:
            out.append(f"{indent}-\n")
            _emit(item, indent + "  ", out)
        else:
            out.append(f"{indent}- {_empty_or_scalar(item)}\n")


def _empty_or_scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump_value(value: Mapping[str, Any]) -> str:
    """One mapping as a YAML document body."""
    out: list[str] = []
    _emit(value, "", out)
    return "".join(out)


def dump_stream(values: Iterable[Mapping[str, Any]]) -> str:
    """Mappings as a multi-document YAML stream (``---`` between documents)."""
    return "---\n".join(dump_value(v) for v in values)
