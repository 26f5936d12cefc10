"""Read an OVMF serial console, line by line with timestamps, into boot attempts (pure).

edk2 prints ``>>Start PXE over IPv4.`` (or ``HTTP Boot``, ``IPv6``) when a network attempt begins, ``BdsDxe: failed
to load Boot#### "…" from …: <reason>`` when it fails, ``BdsDxe: loading Boot####`` / ``starting Boot####`` when an
option loads; iPXE in a NIC ROM announces itself with its banner. ferry's own boot target prints
:data:`~ferry.boot._efiapp.BOOT_MARKER`. A line's time is when its first byte arrived.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ferry.boot._efiapp import BOOT_MARKER
from ferry.boot._model import OptionKind

__all__ = ["MeasuredAttempt", "SerialTimeline", "read_serial"]

_ANSI = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")
_START = re.compile(r">>Start (PXE|HTTP Boot) over IPv(4|6)")
_IPXE = re.compile(r"iPXE .*Open Source Network Boot Firmware")
_FAILED = re.compile(r'BdsDxe: failed to load Boot([0-9A-Fa-f]{4}) "(.*)" from .*?: (.*)$')
_LOADING = re.compile(r"BdsDxe: (loading|starting) Boot([0-9A-Fa-f]{4}) \"(.*?)\"")


@dataclass(frozen=True)
class MeasuredAttempt:
    option_id: int | None
    kind: OptionKind | None
    start_s: float
    end_s: float
    outcome: str
    detail: str = ""

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": f"Boot{self.option_id:04X}" if self.option_id is not None else None,
            "kind": self.kind.value if self.kind else None,
            "outcome": self.outcome,
            "start_s": round(self.start_s, 2),
            "seconds": round(self.seconds, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SerialTimeline:
    attempts: tuple[MeasuredAttempt, ...]
    first_attempt_s: float | None
    """When the boot manager began its first option (POST ends)."""
    booted_s: float | None
    """When the boot target printed its marker (None: it never booted)."""
    shell_s: float | None
    """When the EFI Shell started (the boot fell through to it)."""

    @property
    def phase_s(self) -> float | None:
        """Boot-manager phase: first attempt to the marker (or to the shell)."""
        end = self.booted_s if self.booted_s is not None else self.shell_s
        if end is None or self.first_attempt_s is None:
            return None
        return end - self.first_attempt_s


def _kind(protocol: str, family: str) -> OptionKind:
    return OptionKind.network("http" if protocol.startswith("HTTP") else "pxe", f"ipv{family}")


def read_serial(lines: Sequence[tuple[float, str]]) -> SerialTimeline:
    """Attempts from ``(seconds, line)`` pairs."""
    attempts: list[MeasuredAttempt] = []
    open_start: float | None = None
    open_kind: OptionKind | None = None
    first: float | None = None
    booted = shell = None
    shell_loading: float | None = None
    for t, raw in lines:
        line = _ANSI.sub("", raw).strip()
        if not line:
            continue
        if start := _START.search(line):
            if open_start is not None:  # an attempt ended without a failure line; close it here
                attempts.append(MeasuredAttempt(None, open_kind, open_start, t, "fail", "no failure line"))
            open_start, open_kind = t, _kind(start.group(1), start.group(2))
            first = t if first is None else first
            continue
        if _IPXE.search(line):
            if open_start is not None:
                attempts.append(MeasuredAttempt(None, open_kind, open_start, t, "fail", "no failure line"))
            open_start, open_kind = t, OptionKind.NIC_ROM
            first = t if first is None else first
            continue
        if failed := _FAILED.search(line):
            option_id = int(failed.group(1), 16)
            begin = open_start if open_start is not None else t
            first = begin if first is None else first
            attempts.append(MeasuredAttempt(option_id, open_kind, begin, t, "fail", failed.group(3)))
            open_start, open_kind = None, None
            continue
        if loading := _LOADING.search(line):
            option_id = int(loading.group(2), 16)
            first = t if first is None else first
            if "shell" in loading.group(3).lower():
                # the boot manager reached the shell when it began loading it; loading the image is firmware CPU
                # work (like POST), not a boot attempt, so the phase ends at the "loading" line
                if loading.group(1) == "loading":
                    shell_loading = t
                    continue
                shell = shell_loading if shell_loading is not None else t
                attempts.append(MeasuredAttempt(option_id, OptionKind.SHELL, shell, t, "stop", loading.group(3)))
                break
            if loading.group(1) == "loading" and open_start is not None:
                attempts.append(MeasuredAttempt(option_id, open_kind, open_start, t, "loaded", loading.group(3)))
                open_start = None
            continue
        if BOOT_MARKER in line:
            booted = t
            if attempts and attempts[-1].outcome == "loaded":
                last = attempts[-1]
                attempts[-1] = MeasuredAttempt(last.option_id, last.kind, last.start_s, t, "success", last.detail)
            break
    return SerialTimeline(tuple(attempts), first, booted, shell)
