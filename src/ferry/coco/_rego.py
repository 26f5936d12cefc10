"""Rego evaluated for real, with regorus (the Rust engine the kata-agent embeds), from the ``coco`` extra.

Compiled policies are cached by content, so a webhook checking the same policy on every admission parses it once.
The cache is per thread: regorus engines belong to the thread that made them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ferry._kernel import require
from ferry.coco._errors import PolicyError

__all__ = ["RegoPolicy", "compile_policy", "rego_engine_name"]

_CACHE_SIZE = 64
_LOCAL = threading.local()


def rego_engine_name() -> str:
    """Which evaluator this installation uses."""
    regorus = require("regorus", extra="coco", feature="evaluating Rego policies")
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("gordon-to-regorus", "regorus"):
        try:
            return f"regorus ({dist} {version(dist)})"
        except PackageNotFoundError:
            continue
    return f"regorus ({getattr(regorus, '__file__', 'unknown build')})"


def _clean(exc: Exception) -> str:
    text = str(exc).split("Stack backtrace:", 1)[0].strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:400]


class RegoPolicy:
    """One parsed Rego module. :meth:`query` evaluates a rule path against an input; undefined → ``default``."""

    def __init__(self, text: str, name: str = "policy.rego") -> None:
        regorus = require("regorus", extra="coco", feature="evaluating Rego policies")
        self._engine = regorus.Engine()
        self.name = name
        try:
            self._engine.add_policy(name, text)
        except RuntimeError as exc:
            try:  # policies written for OPA < 1.0 (genpolicy output) parse as Rego v0
                self._engine = regorus.Engine()
                self._engine.set_rego_v0(True)
                self._engine.add_policy(name, text)
            except RuntimeError:
                raise PolicyError(f"{name} is not valid Rego: {_clean(exc)}") from exc
        self.packages: tuple[str, ...] = tuple(str(p) for p in self._engine.get_packages())

    def query(
        self,
        path: str,
        input_value: Mapping[str, Any] | None = None,
        default: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> Any:
        engine = self._engine.clone()
        engine.set_input(dict(input_value or {}))
        if data:
            engine.add_data(dict(data))
        try:
            result = engine.eval_query(path)
        except RuntimeError as exc:
            raise PolicyError(f"evaluating {path} in {self.name} failed: {_clean(exc)}") from exc
        rows = result.get("result") or []
        if not rows:
            return default
        expressions = rows[0].get("expressions") or []
        return expressions[0].get("value", default) if expressions else default


def compile_policy(text: str, name: str = "policy.rego") -> RegoPolicy:
    """A parsed policy, from the cache when the same text was compiled before."""
    cache: OrderedDict[str, RegoPolicy] | None = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = OrderedDict()
    key = hashlib.sha256(text.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        cache.move_to_end(key)
        return cached
    policy = RegoPolicy(text, name)
    cache[key] = policy
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return policy
