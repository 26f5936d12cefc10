"""The state a reader shares with its scopes: providers, the published snapshot, resolution, notifications."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ferry.config._access import call_site
from ferry.config._events import AccessEvent, AccessReporter, ProviderResult
from ferry.config._explain import Collision, Explanation
from ferry.config._keys import secret_by_name
from ferry.config._layer import Layer
from ferry.config._provider import Provider
from ferry.config._snapshot import ABSENT, Snapshot
from ferry.config._values import Entry, Mismatch, convert, shown, type_name
from ferry.config._watch import Watch
from ferry.errors import ConversionError, MissingKeyError

__all__ = ["Core", "Generation"]

log = logging.getLogger("ferry.config")

_Hit = tuple[Layer, str, Entry | None]


class Generation:
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


class Core:
    """State shared by a reader and its scoped readers: providers, the current snapshot, watches, the reporter."""

    __slots__ = (
        "__weakref__",
        "_callbacks",
        "_lock",
        "_notified",
        "_notify_lock",
        "_unsubscribe",
        "_watches",
        "converters",
        "current",
        "providers",
        "reporter",
        "secret_names",
    )

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
        self.current = Snapshot(self, Generation(tuple(p.layer() for p in self.providers), 0), "")
        self._unsubscribe = [p.subscribe(self._changed) for p in self.providers]
        self._changed(None)  # a provider that published while we subscribed

    # -- publication ---------------------------------------------------------------------------------------------
    def _changed(self, _provider: Provider | None) -> None:
        with self._lock:
            layers = tuple(p.layer() for p in self.providers)
            old = self.current
            if all(a is b for a, b in zip(layers, old._gen.layers, strict=True)):
                return
            snapshot = Snapshot(self, Generation(layers, old._gen.number + 1), "")
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
    def resolve(gen: Generation, key: str, *, all_layers: bool = False) -> tuple[list[_Hit], int]:
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

    def read(self, gen: Generation, full: str, target: Any, default: Any, secret: bool, kind: str) -> Any:
        if self.reporter is None:  # scoped reads come here with the full key: the typed cache still answers
            with contextlib.suppress(KeyError, TypeError):
                return gen.cache[target][full]
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

    def explain(self, gen: Generation, full: str, target: Any, secret: bool) -> Explanation:
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
    def known_keys(gen: Generation) -> list[str]:
        return sorted({k for layer in gen.layers for k in layer.known()})

    def collisions(self, gen: Generation, extra: Iterable[str] = ()) -> list[Collision]:
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
