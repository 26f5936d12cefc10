"""Shared data for the boot tests: the reference captures and the example fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE_BOOT = Path(__file__).resolve().parents[3] / "examples" / "estate" / "boot"


@pytest.fixture
def example_boot() -> Path:
    return EXAMPLE_BOOT


@pytest.fixture
def captured_v17() -> str:
    """Captured on OVMF with efibootmgr 17 (reference 2.1): a TAB before the path, optional data glued on."""
    return (DATA / "ovmf-two-nics.efibootmgr-v17.txt").read_text()


@pytest.fixture
def old_dump() -> str:
    """efibootmgr 0.x (2015): no TAB, old node spellings, truncated paths."""
    return (DATA / "old-efibootmgr-0.x.txt").read_text()
