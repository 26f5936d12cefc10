"""What a rule reports: one deny or warning with the rule code and the field it concerns (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DENY", "WARN", "Violation"]

DENY = "deny"
WARN = "warn"


@dataclass(frozen=True)
class Violation:
    """A rule's verdict on one aspect of a pod. ``rule`` is the catalogue code (``D1`` … ``D9``)."""

    rule: str
    severity: str
    message: str
    field: str | None = None

    @property
    def denies(self) -> bool:
        return self.severity == DENY

    def text(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.rule}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "field": self.field}
