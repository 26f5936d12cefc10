"""Reading the manifests a cutover is planned or rehearsed from (I/O: files)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ferry._kernel import KubeObject, load_estate
from ferry.errors import InputError

__all__ = ["read_objects"]


def read_objects(paths: Sequence[str | os.PathLike[str]]) -> list[KubeObject]:
    """Every Kubernetes object in ``paths`` (files or directories); the first unreadable file is an error."""
    estate = load_estate(paths)
    errors = [p for p in estate.problems if p.severity == "error"]
    if errors:
        first = errors[0]
        where = first.path + (f":{first.line}" if first.line is not None else "")
        raise InputError(first.message, where=where, hint="fix the manifest or leave the file out")
    return list(estate.objects)
