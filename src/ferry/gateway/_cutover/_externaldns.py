"""external-dns annotations that produce each step's weighted records (pure).

The prefix is ``external-dns.kubernetes.io/`` (the default since external-dns replaced ``external-dns.alpha``).
With Gateway API sources the Gateway carries only ``target``; ``set-identifier``, ``aws-weight`` and ``ttl`` belong on
the HTTPRoute. The old side's weighted record comes from the Ingresses, which carry the same three annotations.
"""

from __future__ import annotations

from collections.abc import Sequence

from ferry.gateway._cutover._hosts import HostSource
from ferry.gateway._cutover._model import CutoverSpec

__all__ = ["PREFIX", "weighted_annotations"]

PREFIX = "external-dns.kubernetes.io/"


def _weighted(set_identifier: str, weight: int, ttl: int) -> dict[str, str]:
    return {
        f"{PREFIX}set-identifier": set_identifier,
        f"{PREFIX}aws-weight": str(weight),
        f"{PREFIX}ttl": str(ttl),
    }


def weighted_annotations(
    spec: CutoverSpec,
    old_sources: Sequence[HostSource],
    new_sources: Sequence[HostSource],
    gateway: str | None,
    *,
    weights: tuple[int, int] | None,
    ttl: int,
    old_present: bool = True,
) -> dict[str, dict[str, str]]:
    """Object (``Kind ns/name``) → annotations for a state with ``weights`` (None: the simple record, TTL only)."""
    out: dict[str, dict[str, str]] = {}
    if weights is None:
        for source in old_sources:
            out[source.ref] = {f"{PREFIX}ttl": str(ttl)}
        return out
    if old_present:
        for source in old_sources:
            out[source.ref] = _weighted(spec.old.set_identifier, weights[0], ttl)
    for source in new_sources:
        out[source.ref] = _weighted(spec.new.set_identifier, weights[1], ttl)
    if gateway:
        out[f"Gateway {gateway}"] = {f"{PREFIX}target": spec.new.target.value}
    return out
