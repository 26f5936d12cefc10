"""The leaves of ferry.coco's error tree (all under :class:`ferry.errors.CocoError`)."""

from __future__ import annotations

from ferry.errors import CocoError

__all__ = [
    "AdmissionRequestError",
    "CocoError",
    "InitdataError",
    "PolicyError",
    "ProfileError",
    "SealedSecretError",
]


class InitdataError(CocoError):
    """An initdata document or annotation value that Kata would not accept (D2)."""


class ProfileError(CocoError):
    """A CoCo profile that cannot be read or has a wrong field."""


class SealedSecretError(CocoError):
    """A sealed secret that is malformed, uses the wrong algorithm, or fails verification."""


class PolicyError(CocoError):
    """A Rego policy (kata-agent or KBS) that does not parse or cannot be evaluated."""


class AdmissionRequestError(CocoError):
    """A malformed AdmissionReview: answered with HTTP 400, never with a 500.

    ``status`` is the HTTP status to answer with (400 or 413).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
