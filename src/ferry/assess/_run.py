"""Running the assessors over an estate; one failing system never stops the others."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import Estate, EstateProblem, Section, Severity, load_estate
from ferry.assess._registry import AssessorEntry, discover
from ferry.errors import FerryError

__all__ = ["Assessment", "AssessmentError", "assess", "run_assessors"]


@dataclass(frozen=True)
class AssessmentError:
    """A problem with the input or with one assessor."""

    message: str
    path: str | None = None
    line: int | None = None
    document: int | None = None
    system: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "path": self.path,
            "line": self.line,
            "document": self.document,
            "severity": self.severity,
            "message": self.message,
        }

    @classmethod
    def from_problem(cls, problem: EstateProblem) -> AssessmentError:
        return cls(problem.message, problem.path, problem.line, problem.document, None, problem.severity)


@dataclass(frozen=True)
class Assessment:
    """The result of ``ferry assess``: one section per system, and the errors met on the way."""

    roots: tuple[str, ...]
    sections: tuple[Section, ...]
    errors: tuple[AssessmentError, ...]

    def worst(self) -> Severity | None:
        return max((s for s in (x.worst() for x in self.sections) if s), key=lambda s: s.rank, default=None)

    def count(self, severity: Severity) -> int:
        return sum(1 for s in self.sections for f in s.findings if f.severity is severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "estate": list(self.roots),
            "sections": [s.to_dict() for s in self.sections],
            "errors": [e.to_dict() for e in self.errors],
        }


def run_assessors(
    estate: Estate,
    entries: Sequence[AssessorEntry],
    *,
    on_start: Callable[[str], None] | None = None,
) -> Assessment:
    """Run each assessor; a system that fails is reported in ``errors`` and the rest still run."""
    sections: list[Section] = []
    errors = [AssessmentError.from_problem(p) for p in estate.problems]
    for entry in entries:
        if on_start is not None:
            on_start(entry.system)
        try:
            section: object = entry.load()(estate)
        except FerryError as exc:
            errors.append(AssessmentError(str(exc), system=entry.system))
            continue
        except ImportError as exc:
            errors.append(AssessmentError(f"cannot load the {entry.system} assessor: {exc}", system=entry.system))
            continue
        except Exception as exc:  # a bug in one assessor must not hide the others' results
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(
                AssessmentError(
                    f"internal error in the {entry.system} assessor: {type(exc).__name__}: {exc} "
                    f"(at {where.filename}:{where.lineno}); please report it",
                    system=entry.system,
                )
            )
            continue
        if not isinstance(section, Section):
            errors.append(
                AssessmentError(
                    f"assessor {entry.target} returned {type(section).__name__}, not a Section", system=entry.system
                )
            )
            continue
        sections.append(section)
    return Assessment(estate.roots, tuple(sections), tuple(errors))


def assess(
    paths: Sequence[str | os.PathLike[str]],
    *,
    systems: frozenset[str] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Assessment:
    """Read the estate under ``paths`` and run every installed assessor (or those named in ``systems``)."""
    return run_assessors(load_estate(paths), discover(systems), on_start=on_start)
