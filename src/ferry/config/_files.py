"""Files as providers: one JSON/YAML/TOML file, or a directory of files (a mounted ConfigMap or Secret volume)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ferry.config._errors import KeyCollisionError, SourceNotFoundError
from ferry.config._formats import format_of, parse_document
from ferry.config._keys import normalize_key
from ferry.config._layer import Layer
from ferry.config._reloading import ReloadingProvider
from ferry.config._tree import SecretSpec, secret_predicate
from ferry.config._values import Entry
from ferry.errors import ConfigError

__all__ = ["Directory", "File"]

_MAX_BYTES = 16 * 1024 * 1024


class File(ReloadingProvider):
    """A JSON, YAML or TOML file (format from the suffix unless given); nested mappings become dotted keys.

    With ``watch=True`` the file is watched (inotify on its directory, so kubelet's ``..data`` swap and editors'
    rename-over are seen; polling every ``poll_interval`` seconds as a fallback or when ``force_polling``). A file
    that fails to parse keeps the last good values; ``status`` counts the failures and keeps the last error.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        watch: bool = False,
        format: str | None = None,  # noqa: A002 - the natural name for callers
        allow_missing: bool = False,
        secret: SecretSpec = False,
        poll_interval: float = 1.0,
        force_polling: bool = False,
        debounce: float = 0.02,
        name: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.format = format or format_of(self.path)
        self._is_secret = secret_predicate(secret)
        super().__init__(
            name or f"file:{self.path}",
            watch=watch,
            allow_missing=allow_missing,
            poll_interval=poll_interval,
            force_polling=force_polling,
            debounce=debounce,
        )

    def _missing_error(self) -> ConfigError:
        return SourceNotFoundError(f"{self.path}: configuration file not found", hint="create it, or allow_missing")

    def _read_raw(self) -> dict[str, bytes] | None:
        try:
            with self.path.open("rb") as handle:
                data = handle.read(_MAX_BYTES + 1)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise ConfigError(f"{self.path}: is a directory, not a file", hint="use Directory() for a volume") from None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        if len(data) > _MAX_BYTES:
            raise ConfigError(f"{self.path}: larger than 16 MiB; not a configuration file")
        return {"": data}

    def _parse(self, raw: dict[str, bytes]) -> dict[str, Entry]:
        return parse_document(raw[""], self.format, source=str(self.path), is_secret=self._is_secret)

    def _watch_dirs(self) -> Iterable[Path]:
        dirs = {self.path.parent, Path(os.path.realpath(self.path)).parent}
        return sorted(d for d in dirs if d.is_dir())


def _is_hidden(name: str) -> bool:
    return name.startswith(".")  # kubelet's ..data, ..<timestamp>, ..data_tmp, and dotfiles


def _walk(root: Path, relative: str = "") -> Iterator[tuple[str, Path]]:
    """(relative name, path) of every file under ``root``, following symlinks, skipping names starting with '.'."""
    for name in sorted(os.listdir(root)):  # FileNotFoundError: the generation vanished; the caller reads again
        if _is_hidden(name):
            continue
        path = root / name
        rel = f"{relative}/{name}" if relative else name
        if path.is_dir():  # follows symlinks: kubelet links nested items as dir -> ..data/dir
            yield from _walk(path, rel)
        elif path.is_file():
            yield rel, path


class Directory(ReloadingProvider):
    """A directory of files, one value per file: a mounted ConfigMap or Secret volume.

    The key of file ``log.level`` and of ``log/level`` (a nested ``items.path``) is ``log.level``; both at once are
    a :class:`KeyCollisionError`. Symlinks are followed and names starting with ``..`` (kubelet's) are skipped;
    when ``..data`` exists every file is read through it, so one read sees one generation of the volume. Text reads
    are trimmed, ``bytes`` reads are the raw content. Pass ``secret=True`` for a Secret volume. A missing directory
    is an error unless ``allow_missing``; with ``watch=True`` one that appears later is picked up.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        watch: bool = False,
        allow_missing: bool = False,
        secret: SecretSpec = False,
        poll_interval: float = 1.0,
        force_polling: bool = False,
        debounce: float = 0.02,
        name: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._is_secret = secret_predicate(secret)
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"{self.path}: not a directory", hint="use File() for a single file")
        super().__init__(
            name or f"dir:{self.path}",
            watch=watch,
            allow_missing=allow_missing,
            poll_interval=poll_interval,
            force_polling=force_polling,
            debounce=debounce,
        )

    def _missing_error(self) -> ConfigError:
        return SourceNotFoundError(f"{self.path}: directory not found", hint="mount it, or pass allow_missing=True")

    def _read_raw(self) -> dict[str, bytes] | None:
        for _attempt in range(5):  # the writer may remove the generation we resolved; resolve again
            if not self.path.is_dir():
                return None
            data_link = self.path / "..data"
            base = Path(os.path.realpath(data_link)) if data_link.is_dir() else self.path
            try:
                out: dict[str, bytes] = {}
                for rel, path in _walk(base):
                    with path.open("rb") as handle:
                        out[rel] = handle.read(_MAX_BYTES + 1)
                    if len(out[rel]) > _MAX_BYTES:
                        raise ConfigError(f"{self.path}: {rel} is larger than 16 MiB; not a configuration value")
                if base != self.path and Path(os.path.realpath(data_link)) != base:
                    continue  # ..data moved on while we read: the old generation may have been half deleted
                return out
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ConfigError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        raise ConfigError(f"{self.path}: kept changing while being read", hint="it will be read again")

    def _parse(self, raw: dict[str, bytes]) -> dict[str, Entry]:
        table: dict[str, Entry] = {}
        for rel, data in sorted(raw.items()):
            key = normalize_key(rel.replace("/", "."))
            if key in table:
                raise KeyCollisionError(
                    f"{self.path}: {table[key].encoded!r} and {rel!r} both define the key {key!r}",
                    hint="keep one of the two files",
                )
            table[key] = Entry(data, rel, self._is_secret(rel))
        return table

    def _make_layer(self, name: str, table: dict[str, Entry]) -> Layer:
        return Layer(name, table, spell=_spell)

    def _watch_dirs(self) -> Iterable[Path]:
        if not self.path.is_dir():
            return []
        dirs = [self.path]
        data_link = self.path / "..data"
        if not data_link.is_dir():  # a plain directory edited in place: watch its subdirectories too
            dirs.extend(Path(p) for p, _ in _subdirs(self.path))
        return dirs


def _subdirs(root: Path) -> Iterator[tuple[str, None]]:
    for dirpath, dirnames, _ in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not _is_hidden(d)]
        for d in dirnames:
            yield os.path.join(dirpath, d), None


def _spell(key: str) -> str:
    return f"{key} | {key.replace('.', '/')}"
