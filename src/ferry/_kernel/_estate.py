"""A platform estate: the manifests, boot dumps and telemetry found under one or more directories.

The loader reads files (I/O); the :class:`Estate` it returns is plain data that assessors query. Problems with one
file are recorded as :class:`EstateProblem` and never stop the rest of the estate from being read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferry._kernel._kinds import is_known_kind
from ferry._kernel._manifests import KubeObject, parse_manifests
from ferry.errors import ManifestError

__all__ = ["AREAS", "Estate", "EstateFile", "EstateProblem", "load_estate"]

AREAS = ("manifests", "boot", "traces")
"""Where a file belongs: under a ``boot/`` directory, under ``traces/``, or anywhere else (manifests)."""

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class EstateFile:
    """A file of the estate. ``path`` is as the user would name it (relative to the working directory if below it)."""

    path: str
    area: str
    absolute: Path

    def read_text(self) -> str:
        return self.absolute.read_text(encoding="utf-8")

    def read_bytes(self) -> bytes:
        return self.absolute.read_bytes()


@dataclass(frozen=True)
class EstateProblem:
    """A file or object that could not be read or understood."""

    path: str
    message: str
    line: int | None = None
    document: int | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "document": self.document,
            "severity": self.severity,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Estate:
    """Everything read from an estate. Assessors query it; none of them reads the disk for manifests again."""

    roots: tuple[str, ...]
    objects: tuple[KubeObject, ...]
    files: tuple[EstateFile, ...]
    problems: tuple[EstateProblem, ...]

    def of_kind(self, *kinds: str, group: str | None = None) -> Iterator[KubeObject]:
        """Objects whose kind is one of ``kinds`` (and whose API group is ``group``, when given)."""
        wanted = set(kinds)
        for obj in self.objects:
            if obj.kind in wanted and (group is None or obj.group == group):
                yield obj

    def files_in(self, area: str) -> tuple[EstateFile, ...]:
        """The files of one area (``boot``, ``traces``, ``manifests``)."""
        return tuple(f for f in self.files if f.area == area)

    def find(self, kind: str, namespace: str, name: str) -> KubeObject | None:
        for obj in self.objects:
            if obj.kind == kind and obj.name == name and obj.namespace == namespace:
                return obj
        return None

    @classmethod
    def from_objects(cls, objects: Iterable[KubeObject]) -> Estate:
        """An estate of given objects only (for tests and Python callers)."""
        return cls(roots=(), objects=tuple(objects), files=(), problems=())


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _area_of(relative: Path) -> str:
    for part in relative.parts[:-1]:
        if part in ("boot", "traces"):
            return part
    return "manifests"


def _walk(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def load_estate(paths: Sequence[str | os.PathLike[str]]) -> Estate:
    """Read every file under ``paths``.

    YAML and JSON files outside ``boot/`` and ``traces/`` are parsed as Kubernetes manifests; other files are
    listed with their area for the assessors that understand them. Unreadable files, bad YAML, non-objects and
    unknown kinds become problems, with the file, document and line.
    """
    objects: list[KubeObject] = []
    files: list[EstateFile] = []
    problems: list[EstateProblem] = []
    roots: list[str] = []
    for raw in paths:
        root = Path(raw)
        roots.append(_display(root.resolve()) if root.exists() else str(raw))
        if not root.exists():
            problems.append(EstateProblem(str(raw), "no such file or directory"))
            continue
        base = root if root.is_dir() else root.parent
        for path in _walk(root):
            relative = path.relative_to(base)
            shown = _display(path.resolve()) if path.is_absolute() or root.is_absolute() else str(path)
            area = _area_of(relative)
            estate_file = EstateFile(shown, area, path.resolve())
            files.append(estate_file)
            if area != "manifests" or path.suffix.lower() not in _MANIFEST_SUFFIXES:
                continue
            objects.extend(_read_manifest_file(estate_file, problems))
    return Estate(tuple(roots), tuple(objects), tuple(files), tuple(problems))


def _read_manifest_file(estate_file: EstateFile, problems: list[EstateProblem]) -> list[KubeObject]:
    try:
        size = estate_file.absolute.stat().st_size
        if size > _MAX_FILE_BYTES:
            problems.append(EstateProblem(estate_file.path, f"file is {size} bytes, over the 64 MiB limit; skipped"))
            return []
        text = estate_file.read_text()
    except UnicodeDecodeError as exc:
        problems.append(EstateProblem(estate_file.path, f"not UTF-8 text (byte {exc.start}); skipped"))
        return []
    except OSError as exc:
        problems.append(EstateProblem(estate_file.path, f"cannot read: {exc.strerror or exc}"))
        return []
    try:
        found = parse_manifests(text, estate_file.path)
    except ManifestError as exc:
        problems.append(EstateProblem(estate_file.path, exc.message, line=exc.line, document=exc.document))
        return []
    for obj in found:
        if not is_known_kind(obj.api_version, obj.kind):
            problems.append(
                EstateProblem(
                    obj.source.path,
                    f"unknown kind {obj.kind} ({obj.api_version}) for {obj.ref}; read but not assessed",
                    line=obj.source.line,
                    document=obj.source.document,
                    severity="warning",
                )
            )
    return found
