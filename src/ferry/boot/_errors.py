"""The errors ferry.boot raises: leaves under :class:`ferry.errors.BootError`."""

from __future__ import annotations

from typing import ClassVar

from ferry.errors import EXIT_FINDINGS, BootError

__all__ = ["BootApplyError", "BootDumpError", "BootPlanError", "BootVerifyError", "EmulatorError"]


class BootDumpError(BootError):
    """A boot configuration dump that cannot be read: the file, the line and what was expected."""

    def __init__(self, message: str, *, path: str, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, where=path + (f":{line}" if line is not None else ""), hint=hint)
        self.path = path
        self.line = line


class BootApplyError(BootError):
    """A plan could not be applied (efivarfs directory, efibootmgr or a Redfish service refused it)."""


class EmulatorError(BootError):
    """QEMU or OVMF could not be started, or the emulated boot could not be read."""


class BootVerifyError(BootError):
    """Measured boot times disagree with the prediction beyond the tolerance (exit 1)."""

    exit_code: ClassVar[int] = EXIT_FINDINGS


class BootPlanError(BootError):
    """No plan can be made (no provisioning NIC known, no option for it)."""
