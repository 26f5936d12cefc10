"""Fixtures for ferry.config tests.

A re-enactment of kubelet's AtomicWriter, the way ConfigMap and Secret volumes are updated on a node.

Layout: ``..<timestamp>/`` holds the files, ``..data -> ..<timestamp>``, and each visible key ``k -> ..data/k``
(a nested ``items.path`` like ``log/level`` links its top directory ``log -> ..data/log``). An update writes a new
timestamped directory, points ``..data_tmp`` at it, renames ``..data_tmp`` over ``..data`` (the atomic step), adds
links for new keys, removes links of deleted keys and deletes the old directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest


def write_volume(volume: Path, payload: Mapping[str, str | bytes]) -> None:
    """Write ``payload`` (relative path → content) into ``volume`` the way kubelet does."""
    volume.mkdir(parents=True, exist_ok=True)
    data_link = volume / "..data"
    old = os.readlink(data_link) if data_link.is_symlink() else None
    new = Path(tempfile.mkdtemp(prefix="..2026_11_28_05_00_00.", dir=volume))
    os.chmod(new, 0o755)
    for rel, content in payload.items():
        target = new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    tmp_link = volume / "..data_tmp"
    os.symlink(new.name, tmp_link)
    os.rename(tmp_link, data_link)
    tops = {rel.split("/", 1)[0] for rel in payload}
    for top in tops:
        link = volume / top
        if not link.is_symlink():
            os.symlink(f"..data/{top}", link)
    for entry in os.listdir(volume):
        if not entry.startswith("..") and entry not in tops:
            os.unlink(volume / entry)
    if old is not None:
        shutil.rmtree(volume / old)


@pytest.fixture
def kubelet() -> object:
    """``kubelet(volume, payload)`` writes a volume update the way kubelet's AtomicWriter does."""
    return write_volume
