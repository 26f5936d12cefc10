"""What an assessor reports: findings, artifacts, charts, one section per system (pure data)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ferry._kernel._manifests import SourceRef

if TYPE_CHECKING:
    from ferry._kernel._estate import Estate

__all__ = ["Artifact", "Assessor", "Chart", "Finding", "Section", "Severity"]


class Severity(StrEnum):
    """How much a finding matters, lowest first."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls(text.lower())


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


@dataclass(frozen=True)
class Finding:
    """One thing an assessor found.

    Attributes:
        code: stable identifier (``config.env-from-configmap``, ``coco.D3``), for filtering and suppression.
        severity: how much it matters.
        message: what was found, in one sentence.
        obj: the object it concerns (``Deployment shop/web``), if any.
        source: where it was read.
        hint: what to do about it.
        details: machine-readable extras.
    """

    code: str
    severity: Severity
    message: str
    obj: str | None = None
    source: SourceRef | None = None
    hint: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "object": self.obj,
            "source": self.source.to_dict() if self.source else None,
            "hint": self.hint,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Artifact:
    """Something to act on: a manifest to apply, a script to run, a report to read.

    ``content`` is the full text; ``media_type`` tells how to show it (``application/yaml``, ``text/markdown``,
    ``text/x-shellscript``, ``application/json``, ``image/svg+xml``).
    """

    name: str
    media_type: str
    content: str
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "description": self.description,
            "content": self.content,
        }


@dataclass(frozen=True)
class Chart:
    """A bar chart the HTML report draws: one bar per label. ``unit`` is shown next to each value."""

    title: str
    labels: Sequence[str]
    values: Sequence[float]
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "labels": list(self.labels), "values": list(self.values), "unit": self.unit}


@dataclass(frozen=True)
class Section:
    """One system's part of an assessment.

    Attributes:
        system: the system's name (``gateway``, ``config``...).
        summary: one or two sentences a person reads first.
        findings: what was found, most severe first once rendered.
        artifacts: what to act on.
        metrics: headline numbers (counts, seconds, bytes) for the summary table and JSON.
        charts: pictures for the HTML report.
    """

    system: str
    summary: str
    findings: Sequence[Finding] = ()
    artifacts: Sequence[Artifact] = ()
    metrics: Mapping[str, float | int | str] = field(default_factory=dict)
    charts: Sequence[Chart] = ()

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.findings, key=lambda f: (-f.severity.rank, f.code, f.obj or ""))
        return {
            "system": self.system,
            "summary": self.summary,
            "metrics": dict(self.metrics),
            "findings": [f.to_dict() for f in ordered],
            "artifacts": [a.to_dict() for a in self.artifacts],
            "charts": [c.to_dict() for c in self.charts],
        }


Assessor = Callable[["Estate"], Section]
"""A system's contribution to ``ferry assess``: a function from the estate to its section.

Registered in the ``ferry.assessors`` entry-point group; the entry point's name is the system's name.
"""
