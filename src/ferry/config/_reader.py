"""The reader: providers in precedence order, published as immutable snapshots that readers use without locks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from ferry.config._access import reporter_from_env
from ferry.config._core import Core
from ferry.config._events import AccessEvent, AccessReporter
from ferry.config._explain import Collision, Explanation
from ferry.config._keys import join_key, normalize_key
from ferry.config._provider import Provider
from ferry.config._snapshot import ABSENT, Snapshot
from ferry.config._watch import Watch
from ferry.errors import ConfigError

__all__ = ["Reader"]

T = TypeVar("T")
D = TypeVar("D")


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
        environ: where to look for ``FERRY_CONFIG_ACCESS_LOG`` (default ``os.environ``; read once, here).

    For the hottest loops, ``reader.snapshot().typed(int)["http.port"]`` is a plain dict lookup once warm (it is
    not reported to access reporters after the first read of each key).
    """

    __slots__ = ("_core", "_prefix")

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

        self._core = Core(providers, converters or {}, reporter, secret_names)
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
