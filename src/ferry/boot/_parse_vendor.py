"""Vendor BIOS attribute dumps: Dell, HPE and Supermicro, as Redfish ``/Systems/<id>/Bios`` gives them (pure).

Attributes alone say which network boot devices are on, their protocol and family, and the retry knobs that
multiply every failed attempt. They do not always carry the boot order: Dell's ``UefiBootSeq`` and Supermicro's
``UEFIBootOption#N`` do; HPE's lives in ``Boot.BootOrder``. Without an order, ferry assumes the firmware default
after an update — network devices first, then the disk — and says so in a finding. Pair an attribute dump with an
efibootmgr or Redfish dump of the same server (same file name stem) to get both.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ferry.boot._errors import BootDumpError
from ferry.boot._jsonlines import line_of_key, load_json
from ferry.boot._model import BootConfig, BootOption, OptionKind

__all__ = ["ASSUMED_ORDER", "bios_vendor", "looks_like_bios", "parse_bios", "parse_bios_data"]

ASSUMED_ORDER = "assumed-order"
"""Attribute set on configs whose order was assumed (no order in the attributes)."""

_SMC_SUFFIX = re.compile(r"_[0-9A-Fa-f]{4}$")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", _SMC_SUFFIX.sub("", key).lower())


def _attributes(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    attrs = data.get(
        "Attributes", data.get("Bios", {}).get("Attributes") if isinstance(data.get("Bios"), dict) else None
    )
    return attrs if isinstance(attrs, dict) else None


def bios_vendor(attrs: dict[str, Any]) -> str | None:
    keys = set(attrs)
    if any(re.match(r"^(PxeDev\d|HttpDev\d)|^UefiBootSeq$|^SetBootOrder", k) for k in keys):
        return "dell"
    if any(re.match(r"^NicBoot\d+$|^NetworkBootRetry|^PrebootNetworkEnvPolicy$", k) for k in keys):
        return "hpe"
    normalized = {_norm(k) for k in keys}
    if normalized & {"ipv4pxesupport", "ipv6pxesupport", "ipv4httpsupport", "ipv6httpsupport", "networkstack"}:
        return "supermicro"
    return None


def looks_like_bios(data: Any) -> bool:
    attrs = _attributes(data)
    return attrs is not None and bios_vendor(attrs) is not None


def parse_bios(text: str, *, path: str, name: str) -> BootConfig:
    return parse_bios_data(load_json(text, path=path), text=text, path=path, name=name)


def _enabled(value: Any) -> bool:
    return str(value).strip().lower() in ("enabled", "enable", "true", "on", "networkboot", "1", "auto")


def _int_attr(attrs: dict[str, Any], key: str, text: str, path: str) -> int:
    value = attrs[key]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BootDumpError(f"{key} is {value!r}, not a whole number", path=path, line=line_of_key(text, key)) from None
    if number < 0:
        raise BootDumpError(f"{key} is negative ({number})", path=path, line=line_of_key(text, key))
    return number


def parse_bios_data(data: Any, *, text: str, path: str, name: str) -> BootConfig:
    attrs = _attributes(data)
    vendor = bios_vendor(attrs) if attrs is not None else None
    if attrs is None or vendor is None:
        raise BootDumpError(
            "not a BIOS attribute dump of a known vendor (Dell PxeDevN/HttpDevN, HPE NicBootN/NetworkBootRetry, "
            "Supermicro IPv4/IPv6 PXE switches)",
            path=path,
            line=line_of_key(text, "Attributes") or 1,
        )
    if vendor == "dell":
        return _dell(attrs, text, path, name)
    if vendor == "hpe":
        return _hpe(attrs, text, path, name)
    return _supermicro(attrs, text, path, name)


def _config(
    name: str,
    path: str,
    form: str,
    vendor: str,
    options: list[BootOption],
    assumed: bool,
    *,
    attributes: dict[str, Any],
    retry_count: int = 0,
    attempt_wait_s: float = 0.0,
    disabled: frozenset[str] = frozenset(),
) -> BootConfig:
    return BootConfig(
        name=name,
        source=path,
        form=form,
        boot_order=tuple(o.id for o in options),
        options=tuple(options),
        vendor=vendor,
        retry_count=retry_count,
        attempt_wait_s=attempt_wait_s,
        attributes={**attributes, ASSUMED_ORDER: True} if assumed else attributes,
        disabled=disabled,
    )


def _dell(attrs: dict[str, Any], text: str, path: str, name: str) -> BootConfig:
    options: list[BootOption] = []

    def device(kind_prefix: str, n: int, option_id: int) -> BootOption:
        base = f"{kind_prefix}Dev{n}"
        protocol = "http" if kind_prefix == "Http" else "pxe"
        family = str(attrs.get(f"{base}Protocol", "IPv4")).lower()
        nic = str(attrs.get(f"{base}Interface", "")) or None
        return BootOption(
            id=option_id,
            description=f"{'HTTP' if protocol == 'http' else 'PXE'} Device {n}: {nic or 'unset interface'}",
            active=_enabled(attrs.get(f"{base}EnDis", "Disabled")),
            kind=OptionKind.network(protocol, family),
            nic=nic,
            uri=str(attrs.get(f"{base}Uri") or "") or None,
            line=line_of_key(text, f"{base}EnDis"),
        )

    seq = attrs.get("UefiBootSeq")
    if seq is not None:
        if not isinstance(seq, str):
            raise BootDumpError(
                "UefiBootSeq is not a comma-separated string", path=path, line=line_of_key(text, "UefiBootSeq")
            )
        line = line_of_key(text, "UefiBootSeq")
        for index, fqdd in enumerate(p.strip() for p in seq.split(",") if p.strip()):
            dev = re.match(r"^NIC\.(Pxe|Http)Device\.(\d+)-\d+$", fqdd)
            if dev:
                prefix = "Pxe" if dev.group(1) == "Pxe" else "Http"
                opt = device(prefix, int(dev.group(2)), index)
                options.append(replace(opt, description=f"{fqdd} ({opt.description})"))
                continue
            kind = OptionKind.VENDOR
            if re.match(r"^(Disk|RAID|NVMe|AHCI|HardDisk|BOSS)\.", fqdd):
                kind = OptionKind.DISK
            elif re.match(r"^(Optical|USB|Floppy|VirtualMedia|Virtual)\.", fqdd):
                kind = OptionKind.REMOVABLE
            options.append(BootOption(id=index, description=fqdd, active=True, kind=kind, line=line))
    else:
        index = 0
        for prefix in ("Pxe", "Http"):
            for n in range(1, 9):
                if f"{prefix}Dev{n}EnDis" in attrs:
                    options.append(device(prefix, n, index))
                    index += 1
    return _config(name, path, "dell-bios", "dell", options, seq is None, attributes=dict(attrs))


def _hpe(attrs: dict[str, Any], text: str, path: str, name: str) -> BootConfig:
    policy = str(attrs.get("PrebootNetworkEnvPolicy", "Auto")).lower()
    families = {"ipv4": ["ipv4"], "ipv6": ["ipv6"]}.get(policy, ["ipv4", "ipv6"])
    http = bool(attrs.get("UrlBootFile")) or str(attrs.get("HttpSupport", "")).lower() in (
        "auto",
        "httponly",
        "httpsonly",
    )
    options: list[BootOption] = []
    for key in sorted((k for k in attrs if re.fullmatch(r"NicBoot\d+", k)), key=lambda k: int(k[7:])):
        on = _enabled(attrs[key])
        for family in families:
            for protocol in ("http", "pxe") if http else ("pxe",):
                kind = OptionKind.network(protocol, family)
                label = f"{'HTTP(S)' if protocol == 'http' else 'PXE'} {'IPv6' if family == 'ipv6' else 'IPv4'}"
                options.append(
                    BootOption(
                        id=len(options),
                        description=f"Embedded NIC {key[7:]} ({label})",
                        active=on,
                        kind=kind,
                        nic=f"NIC {key[7:]}",
                        line=line_of_key(text, key),
                    )
                )
    options.append(
        BootOption(id=len(options), description="Local disk (assumed after network)", active=True, kind=OptionKind.DISK)
    )
    retry = 0
    if _enabled(attrs.get("NetworkBootRetry", "Disabled")):
        retry = _int_attr(attrs, "NetworkBootRetryCount", text, path) if "NetworkBootRetryCount" in attrs else 20
    disabled = frozenset(
        {"pxe6", "http6"} if families == ["ipv4"] else {"pxe4", "http4"} if families == ["ipv6"] else set()
    )
    return _config(
        name, path, "hpe-bios", "hpe", options, True, retry_count=retry, attributes=dict(attrs), disabled=disabled
    )


def _supermicro(attrs: dict[str, Any], text: str, path: str, name: str) -> BootConfig:
    norm = {_norm(k): (k, v) for k, v in attrs.items()}

    def on(key: str, default: str = "Enabled") -> bool:
        return _enabled(norm.get(key, ("", default))[1])

    stack = on("networkstack")
    switches = {
        OptionKind.PXE4: stack and on("ipv4pxesupport"),
        OptionKind.PXE6: stack and on("ipv6pxesupport"),
        OptionKind.HTTP4: stack and on("ipv4httpsupport", "Disabled"),
        OptionKind.HTTP6: stack and on("ipv6httpsupport", "Disabled"),
    }
    wait = 0.0
    if "pxebootwaittime" in norm:
        wait = float(_int_attr(attrs, norm["pxebootwaittime"][0], text, path))
    ordered = sorted(
        (int(m.group(1)), raw, value)
        for key, (raw, value) in norm.items()
        if (m := re.fullmatch(r"(?:uefi)?bootoption#?(\d+)", key))
    )
    options: list[BootOption] = []

    def network_group(line: int | None) -> None:
        for kind, enabled in switches.items():
            if enabled:
                label = {"pxe4": "IP4", "pxe6": "IP6", "http4": "HTTP IP4", "http6": "HTTP IP6"}[kind.value]
                options.append(
                    BootOption(len(options), f"UEFI: {label} onboard LAN", True, kind, nic="onboard LAN", line=line)
                )

    if ordered:
        for _n, raw, value in ordered:
            label = str(value)
            line = line_of_key(text, raw)
            low = label.lower()
            if "network" in low or "pxe" in low:
                network_group(line)
            elif "shell" in low:
                options.append(BootOption(len(options), label, True, OptionKind.SHELL, line=line))
            elif "usb" in low or "cd" in low or "dvd" in low:
                options.append(BootOption(len(options), label, True, OptionKind.REMOVABLE, line=line))
            elif "disabled" in low:
                continue
            else:
                options.append(BootOption(len(options), label, True, OptionKind.DISK, line=line))
    else:
        network_group(None)
        options.append(BootOption(len(options), "Local disk (assumed after network)", True, OptionKind.DISK))
    disabled = frozenset(k.value for k, v in switches.items() if not v)
    return _config(
        name,
        path,
        "supermicro-bios",
        "supermicro",
        options,
        not ordered,
        attempt_wait_s=wait,
        attributes=dict(attrs),
        disabled=disabled,
    )
