"""The ``cache`` assessor's entry point: the assessor (and the YAML kernel) load when ``ferry assess`` calls it,
not when a model server imports ``ferry.cache`` to load weights (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferry._kernel import Estate, Section

__all__ = ["assess_cache"]


def assess_cache(estate: Estate) -> Section:
    """The ``cache`` section of ``ferry assess``: model servers that download weights at start (see ``_assess``)."""
    from ferry.cache._assess import assess_cache as assess

    return assess(estate)
