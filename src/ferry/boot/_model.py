"""The boot model: options, NIC facts and a server's boot configuration (pure data)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

__all__ = ["BootConfig", "BootOption", "NicFact", "OptionKind", "format_ref", "normalize_mac"]


class OptionKind(StrEnum):
    """What a boot option does when the boot manager tries it."""

    PXE4 = "pxe4"
    PXE6 = "pxe6"
    HTTP4 = "http4"
    HTTP6 = "http6"
    NIC_ROM = "nic-rom"
    """A NIC's own UEFI driver or option ROM (iPXE, FlexBoot): a network attempt with its own timers."""
    DISK = "disk"
    REMOVABLE = "removable"
    SHELL = "shell"
    APP = "app"
    """A built-in application that is not a boot target (UiApp, Boot Manager Menu, Setup)."""
    VENDOR = "vendor"
    """A vendor-specific option whose kind could not be told from its path or description."""

    @property
    def is_network(self) -> bool:
        return self in _NETWORK

    @property
    def family(self) -> str | None:
        return {"pxe4": "ipv4", "http4": "ipv4", "pxe6": "ipv6", "http6": "ipv6", "nic-rom": "ipv4"}.get(self.value)

    @property
    def protocol(self) -> str | None:
        if self in (OptionKind.PXE4, OptionKind.PXE6):
            return "pxe"
        if self in (OptionKind.HTTP4, OptionKind.HTTP6):
            return "http"
        if self is OptionKind.NIC_ROM:
            return "ipxe"
        return None

    @classmethod
    def network(cls, protocol: str, family: str) -> OptionKind:
        """The kind for a protocol (``pxe``/``http``) and family (``ipv4``/``ipv6``)."""
        six = family in ("ipv6", "6", "v6")
        if protocol == "http":
            return cls.HTTP6 if six else cls.HTTP4
        return cls.PXE6 if six else cls.PXE4


_NETWORK = frozenset({OptionKind.PXE4, OptionKind.PXE6, OptionKind.HTTP4, OptionKind.HTTP6, OptionKind.NIC_ROM})
_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")


def normalize_mac(text: str) -> str | None:
    """``52:54:00:00:00:01`` from any common spelling (``525400000001``, ``52-54-00-00-00-01``), else None."""
    raw = re.sub(r"[^0-9a-fA-F]", "", text).lower()
    if len(raw) > 12 and raw.endswith("0" * (len(raw) - 12)):  # efivar pads MAC nodes to 32 bytes
        raw = raw[:12]
    if not _MAC_HEX.match(raw):
        return None
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


def format_ref(option_id: int) -> str:
    """``Boot000A`` for 10."""
    return f"Boot{option_id:04X}"


@dataclass(frozen=True)
class BootOption:
    """One ``Boot####`` load option.

    Attributes:
        id: the option number (``0x000A`` for ``Boot000A``).
        description: the firmware's label.
        active: ``LOAD_OPTION_ACTIVE``; the boot manager skips inactive options even when listed in BootOrder.
        kind: what trying it does.
        device_path: the device path as text (any spelling), empty when unknown.
        mac: the NIC's MAC (``52:54:00:00:00:01``) for network options, when known.
        nic: a NIC label when there is no MAC (Dell FQDD ``NIC.Integrated.1-1-1``, a PCI path).
        uri: the HTTP boot URI, when set.
        line: the line of the dump it was read from.
        hidden: ``LOAD_OPTION_HIDDEN``.
    """

    id: int
    description: str
    active: bool
    kind: OptionKind
    device_path: str = ""
    mac: str | None = None
    nic: str | None = None
    uri: str | None = None
    line: int | None = None
    hidden: bool = False

    @property
    def ref(self) -> str:
        return format_ref(self.id)

    @property
    def nic_key(self) -> str | None:
        """What identifies the NIC: the MAC when known, else the NIC label."""
        return self.mac or self.nic

    @property
    def identity(self) -> tuple[str, str, str]:
        """What the option *is*, independent of its number (firmware renumbers after updates)."""
        if self.kind.is_network:
            return (self.kind.value, self.nic_key or "", self.uri or "")
        return (self.kind.value, _normal_path(self.device_path) or self.description, "")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.ref, "kind": self.kind.value, "active": self.active}

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.ref,
            "kind": self.kind.value,
            "active": self.active,
            "description": self.description,
            "mac": self.mac,
            "nic": self.nic,
            "uri": self.uri,
            "device_path": self.device_path,
            "line": self.line,
        }


@dataclass(frozen=True)
class NicFact:
    """What is known about one NIC of a server.

    Attributes:
        mac: normalised MAC (or ``nic`` label for vendors that name NICs by slot).
        link: True when the link is up, False when down, None when unknown.
        provisioning: the NIC is cabled to the provisioning network.
        dhcp: a DHCP server answers on this NIC (None when unknown).
        family: the IP family provisioning uses there (``ipv4``/``ipv6``).
        protocol: ``pxe`` or ``http``.
        name: a label for people (``eno1``).
    """

    mac: str
    link: bool | None = None
    provisioning: bool = False
    dhcp: bool | None = None
    family: str = "ipv4"
    protocol: str = "pxe"
    name: str = ""

    @property
    def boot_kind(self) -> OptionKind:
        return OptionKind.network(self.protocol, self.family)


@dataclass(frozen=True)
class BootConfig:
    """One server's boot configuration, as read from a dump, with the facts joined to it.

    Attributes:
        name: the server.
        source: the file (or files) it was read from.
        form: the dump's form (``efibootmgr``, ``efibootmgr-old``, ``efivarfs``, ``redfish``, ``dell-bios``,
            ``hpe-bios``, ``supermicro-bios``, ``edk2-varstore``).
        boot_order: ``BootOrder`` as option numbers.
        options: every ``Boot####`` found, in number order (some may be absent from the order: orphans).
        boot_next / boot_current / timeout_s: the other boot manager variables, when present.
        vendor: ``dell``, ``hpe``, ``supermicro``, ``edk2`` or ``unknown``.
        retry_count: extra tries the firmware makes of each failed network option (HPE NetworkBootRetryCount).
        attempt_wait_s: extra seconds the firmware waits per network attempt (Supermicro PXE boot wait time).
        nics: NIC facts joined from an inventory.
        attributes: vendor BIOS attributes, as read.
        disabled: network kinds (``pxe6``, ``http4`` ...) a vendor switch turns off for every NIC.
    """

    name: str
    source: str
    form: str
    boot_order: tuple[int, ...]
    options: tuple[BootOption, ...]
    boot_next: int | None = None
    boot_current: int | None = None
    timeout_s: int | None = None
    vendor: str = "unknown"
    retry_count: int = 0
    attempt_wait_s: float = 0.0
    nics: tuple[NicFact, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    @cached_property
    def _by_id(self) -> dict[int, BootOption]:
        return {o.id: o for o in self.options}

    def option(self, option_id: int) -> BootOption | None:
        return self._by_id.get(option_id)

    @property
    def orphans(self) -> tuple[BootOption, ...]:
        """Options that exist but are not in BootOrder."""
        listed = set(self.boot_order)
        return tuple(o for o in self.options if o.id not in listed)

    def nic_fact(self, key: str | None) -> NicFact | None:
        if key is None:
            return None
        for nic in self.nics:
            if nic.mac == key:
                return nic
        return None

    @property
    def provisioning_nic(self) -> NicFact | None:
        for nic in self.nics:
            if nic.provisioning:
                return nic
        return None

    def with_facts(self, nics: tuple[NicFact, ...]) -> BootConfig:
        return replace(self, nics=nics)

    def with_vendor(self, other: BootConfig) -> BootConfig:
        """This dump, with the vendor knobs (retries, waits, switches, attributes) of a BIOS attribute dump.

        Dell's ``PXE Device N`` / ``HTTP Device N`` options learn their NIC from ``PxeDevNInterface``.
        """
        options = tuple(_dell_nic(o, other.attributes) for o in self.options)
        return replace(
            self,
            options=options,
            vendor=other.vendor if other.vendor != "unknown" else self.vendor,
            retry_count=other.retry_count,
            attempt_wait_s=other.attempt_wait_s,
            attributes={**self.attributes, **{k: v for k, v in other.attributes.items() if k != "assumed-order"}},
            disabled=self.disabled | other.disabled,
            source=self.source if other.source == self.source else f"{self.source}+{other.source}",
        )


def _normal_path(path: str) -> str:
    """One spelling for the same path (efivar ``FvVol``/edk2 ``Fv``, ``0x1``/``1``, case)."""
    text = path.replace("FvVol(", "Fv(").lower()
    return re.sub(r"\b0x([0-9a-f]+)", lambda m: str(int(m.group(1), 16)), text)


_DELL_DEVICE = re.compile(r"^(PXE|HTTP) Device (\d+):")


def _dell_nic(option: BootOption, attributes: Mapping[str, Any]) -> BootOption:
    match = _DELL_DEVICE.match(option.description)
    if not match or option.nic_key:
        return option
    prefix = "Pxe" if match.group(1) == "PXE" else "Http"
    interface = attributes.get(f"{prefix}Dev{match.group(2)}Interface")
    return replace(option, nic=str(interface)) if interface else option
