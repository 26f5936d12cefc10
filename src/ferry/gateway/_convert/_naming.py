"""Stable, valid Kubernetes names for emitted objects (pure)."""

from __future__ import annotations

import hashlib
import re

__all__ = ["duration", "host_slug", "join_name", "section_name"]

_BAD = re.compile(r"[^a-z0-9-]+")


_CLEAN: dict[str, str] = {}


def _clean(text: str) -> str:
    found = _CLEAN.get(text)
    if found is None:
        found = _BAD.sub("-", text.lower()).strip("-") or "x"
        if len(_CLEAN) < 100_000:  # names repeat (namespaces, kinds, hosts); the bound keeps memory flat
            _CLEAN[text] = found
    return found


def _fit(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9].rstrip("-") + "-" + digest


def host_slug(host: str) -> str:
    """``shop.example.com`` → ``shop-example-com``; ``*.example.com`` → ``wildcard-example-com``; "" → ``all-hosts``."""
    if not host:
        return "all-hosts"
    if host.startswith("*."):
        return "wildcard-" + _clean(host[2:])
    return _clean(host)


def join_name(*parts: str, limit: int = 253) -> str:
    """A DNS-subdomain-safe name from parts; long names keep a hash of the whole so they stay unique."""
    return _fit("-".join(_clean(p) for p in parts if p), limit)


def section_name(*parts: str) -> str:
    """A listener / rule name (DNS label style, at most 63 characters)."""
    return _fit("-".join(_clean(p) for p in parts if p), 63)


def duration(seconds: int) -> str:
    """Seconds as a Gateway API duration (each component at most 5 digits): 1728000 → 480h."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"
