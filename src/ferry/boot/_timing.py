"""What one boot attempt costs: edk2's per-attempt timeouts, as measured under OVMF, and the vendor multipliers.

Failure times (no DHCP answer) are the edk2 defaults measured here (reference section 4.3): PXE over IPv4 runs
DHCPv4 DISCOVER with 4, 8, 16 and 32 s waits (60 s); PXE over IPv6 runs Solicit with IRT 4 s, MRC 4, MRT 32 s
(65–73 s with address set-up); HTTP boot uses the same DHCP schedules (60–64 s); iPXE in a NIC ROM fails after its
1, 2, 4, 8 s DHCP schedule plus the Ctrl-B prompt (~20 s). Media detection on a NIC without link fails fast. Vendor
knobs multiply: HPE ``NetworkBootRetryCount`` repeats every failed network attempt, Supermicro's PXE boot wait
time adds to each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ferry.boot._model import OptionKind

__all__ = ["EDK2_FAILURE_S", "TimingModel"]

EDK2_FAILURE_S: Mapping[OptionKind, float] = MappingProxyType(
    {
        OptionKind.PXE4: 60.0,
        OptionKind.PXE6: 69.0,
        OptionKind.HTTP4: 61.5,
        OptionKind.HTTP6: 64.0,
        OptionKind.NIC_ROM: 20.0,
        OptionKind.VENDOR: 60.0,
        OptionKind.DISK: 1.0,
        OptionKind.REMOVABLE: 1.0,
        OptionKind.SHELL: 0.0,
        OptionKind.APP: 0.0,
    }
)
"""Seconds a failed attempt costs on edk2 when no DHCP server answers (measured medians, section 4.3)."""


@dataclass(frozen=True)
class TimingModel:
    """Per-attempt costs in seconds.

    Attributes:
        failure_s: a failed attempt of each kind when nothing answers.
        success_network_s: DHCP, TFTP/HTTP transfer and start of a network boot that works (3.2 s: the median
            measured on OVMF under QEMU on a quiet host).
        success_disk_s: loading the OS loader from a disk.
        no_link_s: a network attempt on a NIC without link (media detection fails fast).
        post_s: firmware start-up before the first boot option (0: predictions count the boot manager only).
    """

    failure_s: Mapping[OptionKind, float] = field(default_factory=lambda: dict(EDK2_FAILURE_S))
    success_network_s: float = 3.2
    success_disk_s: float = 1.0
    no_link_s: float = 3.0
    post_s: float = 0.0

    def failure(self, kind: OptionKind, *, retry_count: int = 0, wait_s: float = 0.0) -> float:
        """Seconds a failed attempt costs with the vendor's retries and waits."""
        base = self.failure_s.get(kind, EDK2_FAILURE_S[OptionKind.VENDOR])
        if not kind.is_network:
            return base
        return (base + wait_s) * (1 + retry_count)

    def with_post(self, post_s: float) -> TimingModel:
        return replace(self, post_s=post_s)

    def scaled(self, factor: float) -> TimingModel:
        """Every network failure time scaled (a vendor measured to wait ``factor`` times edk2)."""
        return replace(self, failure_s={k: v * factor if k.is_network else v for k, v in self.failure_s.items()})
