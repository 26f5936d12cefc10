"""What a real proxy did with a request, and how that compares with a simulated decision (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ferry.gateway._simulate import Decision

__all__ = ["Observed", "normalize_location", "observed_matches"]

_DEFAULT_PORT = re.compile(r"^(http://[^/:?#]+):80(?=[/?#]|$)|^(https://[^/:?#]+):443(?=[/?#]|$)", re.IGNORECASE)


def normalize_location(location: str | None) -> str | None:
    """A Location without the scheme's default port (``https://a:443/x`` and ``https://a/x`` are the same URL)."""
    if location is None:
        return None
    return _DEFAULT_PORT.sub(lambda m: m.group(1) or m.group(2), location)


@dataclass(frozen=True)
class Observed:
    """What a real proxy did: the status, the echo backend that answered (and what it received), the Location."""

    status: int
    backend: str | None = None
    location: str | None = None
    backend_path: str | None = None
    backend_host: str | None = None
    backend_headers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "backend": self.backend,
            "location": self.location,
            "backend_path": self.backend_path,
            "backend_host": self.backend_host,
        }


def observed_matches(decision: Decision, seen: Observed) -> list[str]:
    """The fields where a simulated decision and an observation disagree (empty: they agree)."""
    diffs = []
    if decision.status != seen.status:
        diffs.append("status")
    if decision.status in (200,) and seen.status == 200:
        allowed: set[str | None] = {name for name, _ in decision.weights} or {decision.backend}
        if seen.backend not in allowed:
            diffs.append("backend")
        if decision.backend_path != seen.backend_path:
            diffs.append("backend_path")
        if decision.backend_host != seen.backend_host:
            diffs.append("backend_host")
        for name, value in decision.request_headers_added.items():
            if seen.backend_headers.get(name.lower()) != value:
                diffs.append(f"header {name}")
    if decision.location is not None and normalize_location(decision.location) != normalize_location(seen.location):
        diffs.append("location")
    return diffs
