"""Shared test fixtures: every test runs with a clean ferry environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check behaviour, never speed: on a machine whose cores are shared a generated example may take
# longer than hypothesis's default 200 ms deadline, which would fail a correct test.
settings.register_profile("ferry", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ferry")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def _clean_ferry_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No FERRY_* variable from the developer's shell leaks into a test."""
    import os

    for key in list(os.environ):
        if key.startswith("FERRY_"):
            monkeypatch.delenv(key)
    yield


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared is missing next to the repository ({SHARED}); tests need the project's shared data")
    return SHARED
