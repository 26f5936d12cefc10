"""In-memory providers: fixed values, defaults, and a mutable store that publishes each change."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ferry.config._keys import normalize_key
from ferry.config._layer import Layer
from ferry.config._provider import Provider
from ferry.config._tree import SecretSpec, flatten, secret_predicate
from ferry.config._values import Entry

__all__ = ["Defaults", "InMemory", "MutableInMemory"]


class InMemory(Provider):
    """Fixed values from a mapping, nested (``{"log": {"level": "info"}}``) or flat (``{"log.level": "info"}``)."""

    def __init__(self, mapping: Mapping[str, Any], *, name: str = "memory", secret: SecretSpec = False) -> None:
        self._is_secret = secret_predicate(secret)
        super().__init__(name, Layer(name, flatten(mapping, source=name, is_secret=self._is_secret)))


class Defaults(InMemory):
    """The lowest layer: what applies when no other provider has a value."""

    def __init__(self, mapping: Mapping[str, Any], *, name: str = "defaults", secret: SecretSpec = False) -> None:
        super().__init__(mapping, name=name, secret=secret)


class MutableInMemory(InMemory):
    """In-memory values that can change at run time; each real change publishes a new layer (equal values: none)."""

    def __init__(self, mapping: Mapping[str, Any] | None = None, *, name: str = "mutable", secret: SecretSpec = False):
        super().__init__(mapping or {}, name=name, secret=secret)
        self._write_lock = threading.RLock()  # a subscriber may set values in turn

    def set(self, key: str, value: Any) -> bool:
        """Set (or, with None, remove) one key; True when that changed anything."""
        return self.update({key: value})

    def delete(self, key: str) -> bool:
        return self.update({key: None})

    def update(self, values: Mapping[str, Any]) -> bool:
        """Apply several changes as one publication (None removes a key)."""
        with self._write_lock:
            table = dict(self._layer.table)
            for raw_key, value in values.items():
                key = normalize_key(raw_key)
                if value is None:
                    table.pop(key, None)
                elif isinstance(value, Mapping):
                    for sub_key, entry in flatten(value, source=self.name, is_secret=self._is_secret).items():
                        table[f"{key}.{sub_key}"] = Entry(entry.value, f"{key}.{sub_key}", entry.secret)
                else:
                    flat = flatten({key: value}, source=self.name, is_secret=self._is_secret)
                    table[key] = flat[key]
            return self._publish(Layer(self.name, table))
