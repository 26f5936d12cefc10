"""Snapshots: immutable views of every provider at one moment, read without locks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from ferry.config._explain import Collision, Explanation
from ferry.config._keys import join_key, normalize_key
from ferry.errors import MissingKeyError

if TYPE_CHECKING:
    from ferry.config._core import Core, Generation

__all__ = ["ABSENT", "Snapshot"]

T = TypeVar("T")
D = TypeVar("D")


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Final[Any] = _Absent()
"""The default of ``default``: the key is required."""

_NO_CACHE: Final[dict[Any, dict[str, Any]]] = {}


class _TypedValues(dict[str, Any]):
    """Values of one type, converted on first use: ``view[key]`` is a plain dict lookup once warm."""

    def __init__(self, snapshot: Snapshot, target: Any) -> None:
        super().__init__()
        self._snapshot = snapshot
        self._target = target

    def __missing__(self, key: str) -> Any:
        value = self._snapshot.get(key, self._target)
        if not isinstance(value, list):  # lists are handed out fresh, never shared between callers
            self[key] = value
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except MissingKeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._snapshot.explain(key).found

    def __iter__(self) -> Iterator[str]:
        return iter(self._snapshot.keys())

    def __len__(self) -> int:
        return len(self._snapshot.keys())


class Snapshot:
    """An immutable view of every provider at one moment: reads on it never change, never lock, never tear.

    Take one per request or transaction and read every key from it; a reload publishes a new snapshot and leaves
    this one as it was.
    """

    __slots__ = ("__weakref__", "_cache", "_core", "_gen", "_prefix")

    def __init__(self, core: Core, gen: Generation, prefix: str) -> None:
        self._core = core
        self._gen = gen
        self._prefix = prefix
        self._cache = gen.cache if not prefix and core.reporter is None else _NO_CACHE

    @property
    def generation(self) -> int:
        """0 for the first snapshot, one more for each publication."""
        return self._gen.number

    @overload
    def get(self, key: str, *, secret: bool = ...) -> str: ...
    @overload
    def get(self, key: str, type: type[T], *, secret: bool = ...) -> T: ...
    @overload
    def get(self, key: str, *, default: D, secret: bool = ...) -> str | D: ...
    @overload
    def get(self, key: str, type: type[T], *, default: D, secret: bool = ...) -> T | D: ...

    def get(self, key: str, type: Any = str, *, default: Any = ABSENT, secret: bool = False) -> Any:  # noqa: A002
        """The value of ``key`` as ``type``.

        Without ``default`` the key is required (:class:`MissingKeyError` names every provider consulted); with
        ``default`` that is returned when no provider has the key (``default=None``: optional). A value that cannot
        be converted raises :class:`ConversionError` when required, and gives the default (logged once) otherwise.
        ``secret=True`` redacts the value wherever it is reported.
        """
        try:
            return self._cache[type][key]
        except (KeyError, TypeError):
            full = join_key(self._prefix, key) if self._prefix else normalize_key(key)
            return self._core.read(self._gen, full, type, default, secret, "snapshot")

    def typed(self, type: type[T]) -> Mapping[str, T]:  # noqa: A002
        """A read-only mapping of this snapshot's values as ``type`` (``snapshot.typed(int)["http.port"]``).

        Values are converted on first use and then cost one dict lookup: the form for the hottest loops. Missing
        keys raise :class:`MissingKeyError`, unconvertible ones :class:`ConversionError`.
        """
        views = self._gen.views
        key = (type, self._prefix)
        view = views.get(key)
        if view is None:
            view = views.setdefault(key, MappingProxyType(_TypedValues(self, type)))
        return view

    def explain(self, key: str, type: Any = str, *, secret: bool = False) -> Explanation:  # noqa: A002
        full = join_key(self._prefix, key) if self._prefix else normalize_key(key)
        return self._core.explain(self._gen, full, type, secret)

    def keys(self) -> list[str]:
        """Every key the enumerable providers (files, directories, in-memory, defaults) know, under this scope."""
        keys = self._core.known_keys(self._gen)
        if not self._prefix:
            return keys
        start = self._prefix + "."
        return [k[len(start) :] for k in keys if k.startswith(start)]

    def dump(self, keys: Iterable[str] = ()) -> list[Explanation]:
        """The effective configuration: an explanation of every known key (and of ``keys``), secrets redacted."""
        return [self.explain(k) for k in sorted({*self.keys(), *keys})]

    def collisions(self, keys: Iterable[str] = ()) -> list[Collision]:
        """Keys that one provider spells the same way (among the known keys and ``keys``)."""
        return self._core.collisions(self._gen, keys)

    def scoped(self, prefix: str) -> Snapshot:
        return Snapshot(self._core, self._gen, join_key(self._prefix, prefix))

    def __repr__(self) -> str:
        names = ", ".join(layer.name for layer in self._gen.layers)
        return f"Snapshot(generation={self._gen.number}, providers=[{names}])"
