"""Provenance: which provider answered a key, with what, and what it shadowed (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferry.config._events import ProviderResult

__all__ = ["Collision", "Explanation"]


@dataclass(frozen=True)
class Collision:
    """Several keys that one provider spells the same way (``log.level`` and ``logLevel`` are both ``LOG_LEVEL``)."""

    provider: str
    encoded: str
    keys: tuple[str, ...]
    present: bool

    def __str__(self) -> str:
        state = "set, so it answers for all of them" if self.present else "not set"
        return f"{self.provider}: {', '.join(self.keys)} all map to {self.encoded} ({state})"

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "encoded": self.encoded, "keys": list(self.keys), "present": self.present}


@dataclass(frozen=True)
class Explanation:
    """Why a key has its value. Values are as shown to people: secrets are ``<redacted str>``.

    Attributes:
        key: the dotted key.
        found: whether any provider has it.
        provider: the winning provider's name (None when not found).
        encoded: the winner's spelling of the key (``LOG_LEVEL``, ``--log-level``, ``log/level``).
        raw: the winner's raw value; value: after conversion to ``type``; error: why conversion failed.
        shadowed: lower providers that also have the key, in precedence order.
        consulted: every provider, in precedence order, with its spelling and what it holds.
        collisions: other keys the winner's spelling also answers for.
    """

    key: str
    type: str
    found: bool
    provider: str | None
    encoded: str | None
    raw: str | None
    value: str | None
    error: str | None
    secret: bool
    shadowed: tuple[ProviderResult, ...]
    consulted: tuple[ProviderResult, ...]
    collisions: tuple[Collision, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "found": self.found,
            "provider": self.provider,
            "encoded": self.encoded,
            "raw": self.raw,
            "value": self.value,
            "error": self.error,
            "secret": self.secret,
            "shadowed": [vars(r) for r in self.shadowed],
            "consulted": [vars(r) for r in self.consulted],
            "collisions": [c.to_dict() for c in self.collisions],
        }

    def __str__(self) -> str:
        if not self.found:
            tried = ", ".join(f"{r.provider} ({r.encoded})" for r in self.consulted)
            return f"{self.key}: not set; consulted {tried}"
        lines = [f"{self.key} = {self.value if self.error is None else self.raw} from {self.provider} ({self.encoded})"]
        if self.error:
            lines.append(f"  cannot be read as {self.type}: {self.error}")
        lines.extend(f"  shadows {r.provider} ({r.encoded}) = {r.value}" for r in self.shadowed)
        lines.extend(f"  collision: {c}" for c in self.collisions)
        return "\n".join(lines)
