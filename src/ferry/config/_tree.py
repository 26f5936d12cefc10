"""Flattening nested mappings (parsed files, in-memory dicts) into dotted keys (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ferry.config._errors import KeyCollisionError, ParseError
from ferry.config._keys import normalize_key
from ferry.config._values import Entry
from ferry.errors import ConfigError

__all__ = ["SecretSpec", "flatten", "secret_predicate"]

SecretSpec = bool | Iterable[str] | Callable[[str], bool]
"""Which values a provider marks secret: all (True), none (False), these names, or a predicate on the name."""


def secret_predicate(spec: SecretSpec) -> Callable[[str], bool]:
    if spec is True or spec is False:
        return (lambda _name: True) if spec else (lambda _name: False)
    if callable(spec):
        return spec
    names = frozenset(spec)
    return names.__contains__


def _scalar_kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool | int | float):
        return "number/bool"
    return type(value).__name__


def flatten(
    data: Mapping[Any, Any],
    *,
    source: str,
    is_secret: Callable[[str], bool],
) -> dict[str, Entry]:
    """``{"log": {"level": "info"}}`` → ``{"log.level": Entry("info")}``.

    ``None`` values are absent. Lists must hold scalars of one kind (strings, or numbers and booleans). A literal
    dotted key and a nested path that name the same key are a :class:`KeyCollisionError`.
    """
    out: dict[str, Entry] = {}
    origin: dict[str, str] = {}

    def walk(node: Mapping[Any, Any], prefix: str, shown_path: str) -> None:
        for raw_key, given in node.items():
            value: Any = given
            if not isinstance(raw_key, str | int) or isinstance(raw_key, bool):
                raise ParseError(f"{source}: key {raw_key!r} at {shown_path or 'the top level'} is not a string")
            name = str(raw_key)
            path = f"{prefix}.{name}" if prefix else name
            spelled = f"{shown_path}.{name}" if shown_path else name
            if value is None:
                continue
            if isinstance(value, Mapping):
                walk(value, path, spelled)
                continue
            try:
                key = normalize_key(path)
            except ConfigError as exc:
                raise ParseError(f"{source}: {exc.message} (at {spelled})") from None
            if isinstance(value, list | tuple):
                kinds = {_scalar_kind(v) for v in value if v is not None}
                if any(v is None or isinstance(v, Mapping | list | tuple) for v in value) or len(kinds) > 1:
                    raise ParseError(
                        f"{source}: {spelled} is a list of {' and '.join(sorted(kinds)) or 'nulls/objects'}; "
                        "lists must hold scalars of one kind (all strings, or all numbers and booleans)",
                        hint="split the list into keys, or quote every element",
                    )
                value = list(value)
            elif not isinstance(value, str | bool | int | float | bytes):
                value = str(value)  # dates and times from YAML/TOML: kept as their text
            if key in out:
                raise KeyCollisionError(
                    f"{source}: {origin[key]!r} and {spelled!r} both define the key {key!r}",
                    hint="keep only one spelling",
                )
            origin[key] = spelled
            out[key] = Entry(value, key, is_secret(key))

    walk(data, "", "")
    return out
