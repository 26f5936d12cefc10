"""Finding the systems' assessors through the ``ferry.assessors`` entry-point group."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from ferry._kernel import Assessor

__all__ = ["GROUP", "AssessorEntry", "discover"]

GROUP = "ferry.assessors"


@dataclass(frozen=True)
class AssessorEntry:
    """A registered assessor: its system's name and how to load it."""

    system: str
    target: str
    _entry: EntryPoint | None = None
    _loaded: Assessor | None = None

    def load(self) -> Assessor:
        if self._loaded is not None:
            return self._loaded
        assert self._entry is not None  # one of the two is always set by the constructors below
        loaded = self._entry.load()
        if not callable(loaded):
            raise TypeError(f"entry point {self.target} is not callable")
        return loaded  # type: ignore[no-any-return]

    @classmethod
    def of(cls, system: str, assessor: Assessor) -> AssessorEntry:
        """An entry for an assessor given directly (Python callers, tests)."""
        return cls(
            system=system, target=f"{assessor.__module__}:{getattr(assessor, '__qualname__', '?')}", _loaded=assessor
        )


def discover(only: frozenset[str] | None = None) -> list[AssessorEntry]:
    """Every installed assessor, sorted by system name; ``only`` keeps the named systems."""
    found = []
    for ep in entry_points(group=GROUP):
        if only is not None and ep.name not in only:
            continue
        found.append(AssessorEntry(system=ep.name, target=ep.value, _entry=ep))
    return sorted(found, key=lambda e: e.system)
