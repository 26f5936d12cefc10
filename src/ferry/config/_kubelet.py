"""kubelet's AtomicWriter, re-enacted: how a ConfigMap or Secret volume changes on a node (for tests and demos)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["kubelet_update"]


def kubelet_update(volume: str | os.PathLike[str], payload: Mapping[str, str | bytes]) -> None:
    """Write ``payload`` (relative path → content) into ``volume`` the way kubelet updates a mounted volume.

    A new ``..<UTC timestamp>.<random>/`` directory receives the files; ``..data_tmp`` is pointed at it and renamed
    over ``..data`` (the one atomic step); visible links (``key -> ..data/key``, or ``dir -> ..data/dir`` for a
    nested ``items.path``) are added for new keys and removed for deleted ones; the old directory is deleted.
    """
    root = Path(volume)
    root.mkdir(parents=True, exist_ok=True)
    data_link = root / "..data"
    old = os.readlink(data_link) if data_link.is_symlink() else None
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime())
    new = Path(tempfile.mkdtemp(prefix=f"..{stamp}.", dir=root))
    os.chmod(new, 0o755)
    for rel, content in payload.items():
        target = new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    tmp_link = root / "..data_tmp"
    os.symlink(new.name, tmp_link)
    os.rename(tmp_link, data_link)
    tops = {rel.split("/", 1)[0] for rel in payload}
    for top in sorted(tops):
        link = root / top
        if not link.is_symlink():
            os.symlink(f"..data/{top}", link)
    for entry in os.listdir(root):
        if not entry.startswith("..") and entry not in tops:
            os.unlink(root / entry)
    if old is not None:
        shutil.rmtree(root / old, ignore_errors=True)
