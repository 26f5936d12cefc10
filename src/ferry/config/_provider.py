"""The base every provider shares: a current layer, and subscribers told when it changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ferry.config._keys import secret_by_name
from ferry.config._layer import Layer
from ferry.config._values import shown

__all__ = ["Provider"]

log = logging.getLogger("ferry.config")


class Provider:
    """A source of configuration values. Providers are listed in a :class:`~ferry.config.Reader`, highest first.

    ``layer()`` returns the current immutable view; dynamic providers publish a new one (atomically, by replacing
    one reference) and tell their subscribers. Each provider is usable on its own: ``provider.get(key)`` returns
    its raw value or None.
    """

    def __init__(self, name: str, layer: Layer) -> None:
        self.name = name
        self._layer = layer
        self._subscribers: list[Callable[[Provider], None]] = []
        self._sub_lock = threading.Lock()

    def layer(self) -> Layer:
        return self._layer

    def get(self, key: str) -> object | None:
        """This provider's raw value for ``key`` (string, number, list...), or None."""
        _, entry = self._layer.lookup(key)
        return None if entry is None else entry.value

    def subscribe(self, callback: Callable[[Provider], None]) -> Callable[[], None]:
        """Call ``callback(self)`` after each publication; returns the function that unsubscribes."""
        with self._sub_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._sub_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, layer: Layer) -> bool:
        """Make ``layer`` current unless it holds the same values; True when it was published."""
        if layer.same_content(self._layer):
            return False
        self._layer = layer
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(self)
            except Exception:
                log.exception("a subscriber of config provider %s failed", self.name)
        return True

    def close(self) -> None:
        """Stop any background work (watching providers); a no-op for static ones."""

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._layer)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {len(self._layer)} values)"

    def describe(self) -> str:
        """Every value, sorted by the provider's name for it, secrets redacted (for debugging)."""
        rows = sorted(self._layer.table.values(), key=lambda e: e.encoded)
        body = ", ".join(f"{e.encoded}={shown(e.value, e.secret or secret_by_name(e.encoded))}" for e in rows)
        return f"{type(self).__name__}({self.name!r}: {body})"
