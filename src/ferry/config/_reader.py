"""The reader: providers in precedence order, published as immutable snapshots that readers use without locks."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, TypeVar, overload

from ferry.config._access import call_site, reporter_from_env
from ferry.config._events import AccessEvent, AccessReporter, ProviderResult
from ferry.config._explain import Collision, Explanation
from ferry.config._keys import join_key, normalize_key, secret_by_name
from ferry.config._layer import Layer
from ferry.config._provider import Provider
from ferry.config._values import Entry, Mismatch, convert, shown, type_name
from ferry.config._watch import Watch
from ferry.errors import ConfigError, ConversionError, MissingKeyError

__all__ = ["ABSENT", "Reader", "Snapshot"]

T = TypeVar("T")
D = TypeVar("D")
log = logging.getLogger("ferry.config")


_Hit = tuple[Layer, str, Entry | None]


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Final[Any] = _Absent()
"""The default of ``default``: the key is required."""

_NO_CACHE: Final[dict[Any, dict[str, Any]]] = {}


class _Generation:
    """One published combination of provider layers, with a cache of typed values (never invalidated: immutable)."""

    __slots__ = ("cache", "layers", "number", "views", "warned")

    def __init__(self, layers: tuple[Layer, ...], number: int) -> None:
        self.layers = layers
        self.number = number
        self.cache: dict[Any, dict[str, Any]] = {}
        self.warned: set[tuple[str, Any]] = set()
        self.views: dict[tuple[Any, str], Mapping[str, Any]] = {}


def _display(entry: Entry, secret: bool) -> str:
    value = entry.value
    if isinstance(value, bytes) and not secret:
        try:
            return repr(value.decode("utf-8").strip())
        except UnicodeDecodeError:
            pass
    return shown(value, secret)


class _Core:
    """State shared by a reader and its scoped readers: providers, the current snapshot, watches, the reporter."""

    def __init__(
        self,
        providers: Sequence[Provider],
        converters: Mapping[Any, Callable[[Any], Any]],
        reporter: AccessReporter | None,
        secret_names: bool,
    ) -> None:
        self.providers = tuple(providers)
        self.converters = dict(converters)
        self.reporter = reporter
        self.secret_names = secret_names
        self._lock = threading.Lock()  # writers only; readers never take it
        self._notify_lock = threading.RLock()  # notifications in publication order (a callback may publish)
        self._notified = 0
        self._watches: weakref.WeakSet[Watch[Any]] = weakref.WeakSet()
        self._callbacks: list[Callable[[Snapshot], None]] = []
        self.current = Snapshot(self, _Generation(tuple(p.layer() for p in self.providers), 0), "")
        self._unsubscribe = [p.subscribe(self._changed) for p in self.providers]
        self._changed(None)  # a provider that published while we subscribed

    # -- publication ---------------------------------------------------------------------------------------------
    def _changed(self, _provider: Provider | None) -> None:
        with self._lock:
            layers = tuple(p.layer() for p in self.providers)
            old = self.current
            if all(a is b for a, b in zip(layers, old._gen.layers, strict=True)):
                return
            snapshot = Snapshot(self, _Generation(layers, old._gen.number + 1), "")
            self.current = snapshot  # the publication: one reference store
        with self._notify_lock:  # outside the writers' lock, so a slow watcher never delays a publication
            if snapshot.generation <= self._notified:
                return  # a newer publication was already announced
            self._notified = snapshot.generation
            with self._lock:
                watches, callbacks = list(self._watches), list(self._callbacks)
            for watch in watches:
                try:
                    watch._offer(snapshot)
                except Exception:
                    log.exception("a config watch failed to compute its value")
            for callback in callbacks:
                if self._notified != snapshot.generation:
                    break  # a callback published a newer snapshot, which has been announced already
                try:
                    callback(snapshot)
                except Exception:
                    log.exception("a config change callback raised; other callbacks and readers are unaffected")

    def add_watch(self, watch: Watch[Any]) -> None:
        with self._lock:
            self._watches.add(watch)

    def remove_watch(self, watch: Watch[Any]) -> None:
        with self._lock:
            self._watches.discard(watch)

    def watch_count(self) -> int:
        with self._lock:
            return len(self._watches)

    def add_callback(self, callback: Callable[[Snapshot], None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove

    def close(self, close_providers: bool) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for watch in list(self._watches):
            watch.close()
        if close_providers:
            for provider in self.providers:
                provider.close()

    # -- resolution ------------------------------------------------------------------------------------------------
    @staticmethod
    def resolve(gen: _Generation, key: str, *, all_layers: bool = False) -> tuple[list[_Hit], int]:
        """Each layer's (layer, spelling, entry) up to the winner (or all), and the winner's index (-1: none)."""
        consulted: list[_Hit] = []
        winner = -1
        for layer in gen.layers:
            encoded, entry = layer.lookup(key)
            consulted.append((layer, encoded, entry))
            if entry is not None and winner < 0:
                winner = len(consulted) - 1
                if not all_layers:
                    break
        return consulted, winner

    def is_secret(self, key: str, entry: Entry | None, secret: bool) -> bool:
        return secret or (entry is not None and entry.secret) or (self.secret_names and secret_by_name(key))

    def read(self, gen: _Generation, full: str, target: Any, default: Any, secret: bool, kind: str) -> Any:
        consulted, winner = self.resolve(gen, full)
        entry = consulted[winner][2] if winner >= 0 else None
        hidden = self.is_secret(full, entry, secret)
        if entry is None:
            if default is ABSENT:
                tried = ", ".join(f"{layer.name} ({encoded})" for layer, encoded, _ in consulted)
                error = MissingKeyError(
                    f"missing required configuration key {full!r}; consulted {tried}",
                    hint="set it in one of those places",
                )
                self._report(full, kind, target, consulted, hidden, "missing", None, str(error))
                raise error
            self._report(full, kind, target, consulted, hidden, "default", default, None)
            return default
        layer, encoded, _ = consulted[winner]
        try:
            value = convert(entry.value, target, self.converters)
        except Mismatch as exc:
            error_text = (
                f"{layer.name}: {encoded} = {_display(entry, hidden)} cannot be read as {type_name(target)}: {exc}"
            )
            if default is ABSENT:
                self._report(full, kind, target, consulted, hidden, "error", None, error_text)
                raise ConversionError(error_text, hint=f"fix the value of {encoded} in {layer.name}") from None
            if (full, target) not in gen.warned:
                gen.warned.add((full, target))
                log.warning("config key %s: %s; using the default", full, error_text)
            self._report(full, kind, target, consulted, hidden, "default", default, error_text)
            return default
        if self.reporter is not None:
            self._report(full, kind, target, consulted, hidden, "value", value, None)
        elif not isinstance(value, list):  # lists are handed out fresh; everything else is immutable
            with contextlib.suppress(TypeError):  # an unhashable request type: nothing to cache under
                gen.cache.setdefault(target, {})[full] = value
        return value

    def _report(
        self,
        key: str,
        kind: str,
        target: Any,
        consulted: list[_Hit],
        secret: bool,
        outcome: str,
        value: Any,
        error: str | None,
    ) -> None:
        if self.reporter is None:
            return
        results = tuple(
            ProviderResult(
                layer.name,
                encoded,
                entry is not None,
                None if entry is None else _display(entry, secret or entry.secret),
            )
            for layer, encoded, entry in consulted
        )
        event = AccessEvent(
            key=key,
            kind=kind,
            type=type_name(target),
            location=call_site(),
            timestamp=time.time(),
            results=results,
            outcome=outcome,
            value=None if outcome not in ("value", "default") else shown(value, secret),
            error=error,
            secret=secret,
        )
        try:
            self.reporter(event)
        except Exception:
            log.exception("the config access reporter failed")

    def explain(self, gen: _Generation, full: str, target: Any, secret: bool) -> Explanation:
        consulted, winner = self.resolve(gen, full, all_layers=True)
        entry = consulted[winner][2] if winner >= 0 else None
        hidden = self.is_secret(full, entry, secret)
        results = tuple(
            ProviderResult(layer.name, encoded, e is not None, None if e is None else _display(e, hidden or e.secret))
            for layer, encoded, e in consulted
        )
        if entry is None:
            self._report(full, "explain", target, consulted, hidden, "missing", None, "not set")
            return Explanation(full, type_name(target), False, None, None, None, None, None, hidden, (), results)
        layer, encoded, _ = consulted[winner]
        value_text: str | None = None
        error: str | None = None
        try:
            value_text = shown(convert(entry.value, target, self.converters), hidden)
        except Mismatch as exc:
            error = str(exc)
        shadowed = tuple(r for r in results[winner + 1 :] if r.found)
        collisions = tuple(c for c in self.collisions(gen) if c.provider == layer.name and full in c.keys)
        self._report(full, "explain", target, consulted[: winner + 1], hidden, "value", value_text, error)
        return Explanation(
            full,
            type_name(target),
            True,
            layer.name,
            encoded,
            _display(entry, hidden),
            value_text,
            error,
            hidden,
            shadowed,
            results,
            collisions,
        )

    @staticmethod
    def known_keys(gen: _Generation) -> list[str]:
        return sorted({k for layer in gen.layers for k in layer.known()})

    def collisions(self, gen: _Generation, extra: Iterable[str] = ()) -> list[Collision]:
        keys = sorted({*self.known_keys(gen), *extra})
        found: list[Collision] = []
        for layer in gen.layers:
            groups: dict[str, list[str]] = defaultdict(list)
            for key in keys:
                encoded = layer.encode(key)
                if encoded is not None:
                    groups[encoded].append(key)
            for encoded, members in sorted(groups.items()):
                if len(members) > 1:
                    found.append(Collision(layer.name, encoded, tuple(members), encoded in layer.table))
        return found


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

    def __init__(self, core: _Core, gen: _Generation, prefix: str) -> None:
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


class Reader:
    """Configuration from ``providers``, highest precedence first: the first provider that has a key wins.

    Every read goes to the current :class:`Snapshot`; ``snapshot()`` hands it out for several consistent reads.
    Dynamic providers (``File(watch=True)``, ``Directory(watch=True)``, ``MutableInMemory``, ``Environment.refresh``)
    publish new snapshots atomically. Set ``FERRY_CONFIG_ACCESS_LOG`` to log every read.

    Args:
        providers: at least one provider, highest precedence first.
        converters: functions that make registered types from raw values (``{Duration: parse_duration}``).
        access_reporter: called with an :class:`AccessEvent` for each read (besides the env-enabled log).
        secret_names: also treat keys whose last part names a secret (password, token, apiKey...) as secret.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        converters: Mapping[Any, Callable[[Any], Any]] | None = None,
        access_reporter: AccessReporter | None = None,
        secret_names: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        providers = list(providers)
        if not providers:
            raise ConfigError("a Reader needs at least one provider", hint="for example Reader([Environment()])")
        for p in providers:
            if not isinstance(p, Provider):
                raise ConfigError(f"{p!r} is not a ferry.config provider")
        reporters = [r for r in (access_reporter, reporter_from_env(environ)) if r is not None]
        reporter: AccessReporter | None = None
        if len(reporters) == 1:
            reporter = reporters[0]
        elif reporters:

            def reporter(event: AccessEvent) -> None:
                for r in reporters:
                    r(event)

        self._core = _Core(providers, converters or {}, reporter, secret_names)
        self._prefix = ""

    @property
    def providers(self) -> tuple[Provider, ...]:
        return self._core.providers

    @property
    def prefix(self) -> str:
        return self._prefix

    @overload
    def get(self, key: str, *, secret: bool = ...) -> str: ...
    @overload
    def get(self, key: str, type: type[T], *, secret: bool = ...) -> T: ...
    @overload
    def get(self, key: str, *, default: D, secret: bool = ...) -> str | D: ...
    @overload
    def get(self, key: str, type: type[T], *, default: D, secret: bool = ...) -> T | D: ...

    def get(self, key: str, type: Any = str, *, default: Any = ABSENT, secret: bool = False) -> Any:  # noqa: A002
        """The current value of ``key`` as ``type`` (see :meth:`Snapshot.get`)."""
        snapshot = self._core.current
        if not self._prefix:
            try:
                return snapshot._cache[type][key]
            except (KeyError, TypeError):
                return self._core.read(snapshot._gen, normalize_key(key), type, default, secret, "get")
        return self._core.read(snapshot._gen, join_key(self._prefix, key), type, default, secret, "get")

    def snapshot(self) -> Snapshot:
        """The current immutable snapshot (scoped like this reader)."""
        current = self._core.current
        return current if not self._prefix else Snapshot(self._core, current._gen, self._prefix)

    def watch(self, key: str, type: Any = str, *, default: Any = None, secret: bool = False) -> Watch[Any]:  # noqa: A002
        """The value of ``key`` now, then after every publication that changes it (compared as ``type``)."""
        full = join_key(self._prefix, key)
        core = self._core

        def compute(snapshot: Snapshot) -> Any:
            return core.read(snapshot._gen, full, type, default, secret, "watch")

        watch: Watch[Any] = Watch(compute, core.remove_watch)
        core.add_watch(watch)
        watch._offer(core.current)
        return watch

    def watch_snapshots(self) -> Watch[Snapshot]:
        """The current snapshot, then each newly published one (a slow consumer gets the newest)."""
        core = self._core
        prefix = self._prefix

        def compute(snapshot: Snapshot) -> Snapshot:
            return snapshot if not prefix else Snapshot(core, snapshot._gen, prefix)

        watch: Watch[Snapshot] = Watch(compute, core.remove_watch)
        core.add_watch(watch)
        watch._offer(core.current)
        return watch

    def on_change(self, callback: Callable[[Snapshot], None]) -> Callable[[], None]:
        """Call ``callback(snapshot)`` after each publication; returns the function that removes it. A callback that
        raises is logged and affects nothing else."""
        return self._core.add_callback(callback)

    @property
    def watcher_count(self) -> int:
        return self._core.watch_count()

    def explain(self, key: str, type: Any = str, *, secret: bool = False) -> Explanation:  # noqa: A002
        """Which provider answers ``key``, its spelling, raw and converted value, and what it shadows."""
        return self.snapshot().explain(key, type, secret=secret)

    def dump(self, keys: Iterable[str] = ()) -> list[Explanation]:
        """The effective configuration (see :meth:`Snapshot.dump`)."""
        return self.snapshot().dump(keys)

    def collisions(self, keys: Iterable[str] = ()) -> list[Collision]:
        return self.snapshot().collisions(keys)

    def scoped(self, prefix: str) -> Reader:
        """A reader of the keys under ``prefix`` (``scoped("http").get("timeout")`` reads ``http.timeout``). It
        shares providers, snapshots and watches with this one."""
        scoped = object.__new__(Reader)
        scoped._core = self._core
        scoped._prefix = join_key(self._prefix, prefix)
        return scoped

    def close(self, *, close_providers: bool = True) -> None:
        """Stop listening to the providers, end every watch, and (by default) stop the providers' watchers."""
        self._core.close(close_providers)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self._core.providers)
        scope = f", prefix={self._prefix!r}" if self._prefix else ""
        return f"Reader([{names}]{scope})"
