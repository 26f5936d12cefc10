"""Optional dependencies: import them in adapter modules through :func:`require`."""

from __future__ import annotations

import importlib
from types import ModuleType

from ferry.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install 'ferry[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(extra, module.split(".", maxsplit=1)[0], feature=feature) from exc
