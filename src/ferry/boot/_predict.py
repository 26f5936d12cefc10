"""Predict the time to a successful boot: walk BootNext and BootOrder as the boot manager does (pure).

Two scenarios:

* **worst** — every network attempt runs to its full timeout, times the vendor's retries; link state is not trusted
  (a cable may be plugged in, a switch port may come up). In steady state the provisioning service is assumed
  down too (a fleet-wide reboot after a firmware update is when it is busiest); while provisioning, only the one
  option that must work (provisioning NIC x protocol x family, DHCP answering) is allowed to.
* **expected** — the same with the NIC facts believed: attempts on NICs whose link is down fail at media detection.

``mode`` says what a disk holds: ``steady`` (an installed OS: the first disk option boots) or ``provisioning`` (a
blank disk: only the network can boot the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ferry.boot._model import BootConfig, BootOption, NicFact, OptionKind, format_ref
from ferry.boot._timing import TimingModel

__all__ = ["MODES", "Attempt", "Outcome", "Prediction", "option_works", "predict"]

MODES = ("steady", "provisioning")


class Outcome(StrEnum):
    SUCCESS = "success"
    FAIL = "fail"
    STOP = "stop"
    """The boot manager hands control to something that waits (the EFI Shell): the server does not boot."""
    SKIPPED = "skipped"
    """Inactive, hidden or an application (UiApp): the boot manager passes over it."""
    DISABLED = "disabled"
    """A vendor switch (IPv6 PXE support off …) removes options of this kind."""
    MISSING = "missing"
    """BootOrder names an option that does not exist."""


@dataclass(frozen=True)
class Attempt:
    option_id: int
    kind: OptionKind | None
    outcome: Outcome
    seconds: float
    reason: str

    @property
    def ref(self) -> str:
        return format_ref(self.option_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.ref,
            "kind": self.kind.value if self.kind else None,
            "outcome": self.outcome.value,
            "seconds": round(self.seconds, 1),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Prediction:
    scenario: str
    mode: str
    attempts: tuple[Attempt, ...]
    post_s: float

    @property
    def winner(self) -> Attempt | None:
        for attempt in self.attempts:
            if attempt.outcome is Outcome.SUCCESS:
                return attempt
        return None

    @property
    def boots(self) -> bool:
        return self.winner is not None

    @property
    def total_s(self) -> float:
        """POST plus every attempt up to and including the one that boots (or all of them when none does)."""
        return self.post_s + sum(a.seconds for a in self.attempts)

    @property
    def wasted_s(self) -> float:
        """Seconds spent in attempts that failed."""
        return sum(a.seconds for a in self.attempts if a.outcome is Outcome.FAIL)

    def to_dict(self) -> dict[str, Any]:
        winner = self.winner
        return {
            "scenario": self.scenario,
            "mode": self.mode,
            "total_s": round(self.total_s, 1),
            "wasted_s": round(self.wasted_s, 1),
            "boots": self.boots,
            "boots_from": winner.ref if winner else None,
            "attempts": [a.to_dict() for a in self.attempts],
        }


def option_works(option: BootOption, nic: NicFact | None) -> bool:
    """True when this network option meets an answering DHCP server that serves its protocol and family."""
    if nic is None or not nic.provisioning or nic.dhcp is not True or nic.link is False:
        return False
    if option.kind is OptionKind.NIC_ROM:
        return nic.family == "ipv4" and nic.protocol in ("pxe", "ipxe")
    return option.kind is nic.boot_kind


def _attempt(
    config: BootConfig, option: BootOption, timing: TimingModel, scenario: str, mode: str, next_boot: bool
) -> Attempt:
    kind = option.kind
    if not option.active and not next_boot:
        return Attempt(option.id, kind, Outcome.SKIPPED, 0.0, "inactive")
    if kind.value in config.disabled:
        return Attempt(option.id, kind, Outcome.DISABLED, 0.0, f"{kind.value} switched off in the BIOS attributes")
    if kind is OptionKind.APP or option.hidden:
        return Attempt(option.id, kind, Outcome.SKIPPED, 0.0, "application, not a boot target")
    if kind is OptionKind.SHELL:
        return Attempt(
            option.id, kind, Outcome.STOP, timing.failure_s.get(kind, 0.0), "the EFI Shell waits at its prompt"
        )
    if kind is OptionKind.DISK:
        if option.description.lower().startswith("unavailable"):
            return Attempt(option.id, kind, Outcome.FAIL, timing.failure_s[kind], "disk marked unavailable")
        if mode == "steady":
            return Attempt(option.id, kind, Outcome.SUCCESS, timing.success_disk_s, "OS loader on disk")
        return Attempt(option.id, kind, Outcome.FAIL, timing.failure_s[kind], "blank disk while provisioning")
    if kind is OptionKind.REMOVABLE:
        return Attempt(option.id, kind, Outcome.FAIL, timing.failure_s[kind], "no removable media")
    if not kind.is_network:
        return Attempt(option.id, kind, Outcome.FAIL, timing.failure_s[kind], "vendor option of unknown kind")
    nic = config.nic_fact(option.nic_key)
    provisioning_down = scenario == "worst" and mode == "steady"
    if option_works(option, nic) and not provisioning_down:
        return Attempt(
            option.id, kind, Outcome.SUCCESS, timing.success_network_s, "DHCP answers on the provisioning NIC"
        )
    retries = config.retry_count
    if scenario == "expected" and nic is not None and nic.link is False:
        return Attempt(option.id, kind, Outcome.FAIL, timing.no_link_s * (1 + retries), "no link (media detect)")
    seconds = timing.failure(kind, retry_count=retries, wait_s=config.attempt_wait_s)
    why = "no DHCP answer" if nic is None or not nic.dhcp else f"DHCP there does not serve {kind.value}"
    if retries:
        why += f", tried {1 + retries}x (vendor retries)"
    return Attempt(option.id, kind, Outcome.FAIL, seconds, why)


def predict(
    config: BootConfig, timing: TimingModel | None = None, *, scenario: str = "worst", mode: str = "steady"
) -> Prediction:
    """Walk BootNext then BootOrder until an option boots or the server stops."""
    if scenario not in ("worst", "expected"):
        raise ValueError(f"unknown scenario {scenario!r}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    timing = timing or TimingModel()
    sequence: list[tuple[int, bool]] = []
    if config.boot_next is not None:
        sequence.append((config.boot_next, True))
    sequence += [(option_id, False) for option_id in config.boot_order]
    attempts: list[Attempt] = []
    for option_id, next_boot in sequence:
        option = config.option(option_id)
        if option is None:
            attempts.append(Attempt(option_id, None, Outcome.MISSING, 0.0, "no such Boot#### variable"))
            continue
        attempt = _attempt(config, option, timing, scenario, mode, next_boot)
        attempts.append(attempt)
        if attempt.outcome in (Outcome.SUCCESS, Outcome.STOP):
            break
    return Prediction(scenario, mode, tuple(attempts), timing.post_s)
