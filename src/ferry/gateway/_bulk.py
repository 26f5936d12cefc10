"""Bulk work without the cyclic garbage collector (pure).

Reading tens of thousands of manifests keeps every YAML node alive for line numbers; the cyclic collector then
walks that growing heap again and again, which makes parsing quadratic. The objects ferry builds are acyclic and
freed by reference counting, so the collector is paused for the duration of a bulk job and restored after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["bulk_work"]


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (restored, with one collection, on exit)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
