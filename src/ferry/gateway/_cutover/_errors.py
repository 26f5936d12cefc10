"""The cutover's failures, as leaves under :class:`ferry.errors.GatewayError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ferry.errors import EXIT_FINDINGS, GatewayError

__all__ = ["CutoverError", "RehearsalLossError", "UnsafePlanError"]


class CutoverError(GatewayError):
    """Base of the weighted-DNS cutover's errors (bad plan input, rehearsal trouble)."""


class UnsafePlanError(CutoverError):
    """A plan or a Route 53 change batch that would be unsafe to apply; ``reasons`` lists every problem found."""

    def __init__(self, reasons: Sequence[str], *, where: str | None = None) -> None:
        self.reasons = tuple(reasons)
        count = len(self.reasons)
        summary = "; ".join(self.reasons)
        super().__init__(
            f"unsafe cutover plan refused ({count} problem{'s' if count != 1 else ''}): {summary}",
            where=where,
            hint="fix the weights, set-identifiers or TTLs named above and plan again",
        )


class RehearsalLossError(CutoverError):
    """ferry's plan lost requests in a rehearsal: the cutover is not proven safe (exit 1)."""

    exit_code: ClassVar[int] = EXIT_FINDINGS
