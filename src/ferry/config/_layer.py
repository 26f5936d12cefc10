"""A layer: an immutable view of one provider at one moment (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType

from ferry.config._values import Entry

__all__ = ["Layer"]


class Layer:
    """What one provider held when it was last read.

    Either the table is keyed by dotted keys (files, in-memory, directories: ``encode`` is None and ``spell`` says
    how a missing key would have been spelled), or by the provider's own names (environment, command line:
    ``encode`` maps a dotted key to that name). Never mutated after construction.
    """

    __slots__ = ("_encode", "_spell", "name", "table")

    def __init__(
        self,
        name: str,
        table: Mapping[str, Entry],
        *,
        encode: Callable[[str], str] | None = None,
        spell: Callable[[str], str] | None = None,
    ) -> None:
        self.name = name
        self.table: Mapping[str, Entry] = MappingProxyType(dict(table))
        self._encode = encode
        self._spell = spell

    def lookup(self, key: str) -> tuple[str, Entry | None]:
        """The provider's spelling of ``key`` and its entry (None when absent)."""
        if self._encode is not None:
            encoded = self._encode(key)
            return encoded, self.table.get(encoded)
        entry = self.table.get(key)
        if entry is not None:
            return entry.encoded, entry
        return (self._spell(key) if self._spell else key), None

    def encode(self, key: str) -> str | None:
        """The name the provider looks ``key`` up under, for providers that encode keys (else None)."""
        return self._encode(key) if self._encode is not None else None

    def known(self) -> Iterator[str]:
        """The dotted keys this layer knows (none for providers that only encode: env, command line)."""
        if self._encode is None:
            yield from self.table

    def same_content(self, other: Layer) -> bool:
        return self.name == other.name and dict(self.table) == dict(other.table)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"Layer({self.name!r}, {len(self.table)} values)"
