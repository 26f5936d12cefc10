"""Each package's ``__all__`` is exactly its public names, and every name in it exists."""

from __future__ import annotations
import __future__

import importlib
import types

import pytest

PACKAGES = [
    "ferry",
    "ferry.errors",
    "ferry._kernel",
    "ferry.config",
    "ferry.assess",
    "ferry.cli",
    "ferry.testing",
    "ferry.gateway",
    "ferry.cache",
    "ferry.coco",
    "ferry.genai",
    "ferry.boot",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_matches_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and (not callable(v) or str(getattr(v, "__module__", "")).startswith("ferry"))
        and not isinstance(v, __future__._Feature)
    }
    missing = {n for n in exported if not hasattr(module, n)}  # hasattr: lazily imported names (PEP 562) count
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"
    assert public <= exported, f"{name} has public names outside __all__: {public - exported}"
