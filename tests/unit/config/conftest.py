"""Fixtures for ferry.config tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ferry.config import kubelet_update


@pytest.fixture
def kubelet() -> Callable[[Path, dict[str, str]], None]:
    """``kubelet(volume, payload)`` writes a volume update the way kubelet's AtomicWriter does."""
    return kubelet_update
