"""``efibootmgr`` / ``efibootmgr -v`` output, every version (pure: text in, :class:`BootConfig` out).

Version 17+ separates description and device path with a TAB and glues the optional data (``N.....YM....R,Y.``)
to the last node; version 0.x printed no TAB and spelled nodes ``ACPI(a0341d0,0)PCI(1c,2)MAC(…)``. Without ``-v``
there is no device path at all and options are classified by description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ferry.boot._devpath import classify, path_facts
from ferry.boot._errors import BootDumpError
from ferry.boot._model import BootConfig, BootOption, normalize_mac

__all__ = ["looks_like_efibootmgr", "parse_efibootmgr", "split_path_and_data", "vendor_of"]

_HEX4 = r"[0-9A-Fa-f]{4}"
_ENTRY = re.compile(rf"^Boot({_HEX4})(\*| )\s?(.*)$")
_HEADER = re.compile(r"^(BootNext|BootCurrent|Timeout|BootOrder)\s*:\s*(.*)$")
_NODE_START = re.compile(r"[A-Za-z][A-Za-z0-9]*\(")
_IGNORED = re.compile(r"^(BootOptionSupport|MirroredPercentageAbove4G|MirrorMemoryBelow4GB|Boot\s*Order\s*Support)\b")
_OLD_NODE = re.compile(
    r"\s((?:ACPI|PCI|PciRoot|HD|VenHw|VenMedia|BBS|MAC|USB|UsbClass|FvFile|FvVol|Fv|File|MemoryMapped|Vendor)\()"
)


def looks_like_efibootmgr(text: str) -> bool:
    """True when the text has an efibootmgr header or ``Boot####`` entry in its first lines."""
    return any(_HEADER.match(line.strip()) or _ENTRY.match(line.strip()) for line in text.splitlines()[:40])


def split_path_and_data(rest: str) -> tuple[str, str]:
    """Device path and the printed optional data glued after it (split where the last node's parentheses close)."""
    depth = 0
    end = -1
    for index, ch in enumerate(rest):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                end = index
                nxt = rest[index + 1 : index + 2]
                if nxt not in ("/", "") and not _NODE_START.match(rest[index + 1 : index + 16]):
                    break
    if end < 0:
        return rest, ""
    tail = rest[end + 1 :]
    if _NODE_START.match(tail.lstrip("/")):  # a last node cut short (old efibootmgr truncates long paths)
        return rest, ""
    return rest[: end + 1], tail


def _ids(value: str, path: str, line: int, what: str) -> tuple[int, ...]:
    value = value.strip()
    if not value:
        return ()
    parts = [p.strip() for p in value.split(",")]
    bad = [p for p in parts if not re.fullmatch(_HEX4, p)]
    if bad:
        raise BootDumpError(
            f"{what} has {bad[0]!r}, not a 4-digit hex option number",
            path=path,
            line=line,
            hint="expected e.g. 'BootOrder: 0001,0002'",
        )
    return tuple(int(p, 16) for p in parts)


def parse_efibootmgr(text: str, *, path: str, name: str) -> BootConfig:
    """Parse efibootmgr output. Raises :class:`BootDumpError` with the line of the first line it cannot read."""
    boot_order: tuple[int, ...] = ()
    boot_next = boot_current = timeout = None
    options: dict[int, BootOption] = {}
    saw_tab = saw_old = False
    found_any = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or _IGNORED.match(stripped):
            continue
        header = _HEADER.match(stripped)
        if header:
            found_any = True
            key, value = header.groups()
            if key == "BootOrder":
                boot_order = _ids(value, path, number, "BootOrder")
            elif key in ("BootNext", "BootCurrent"):
                ids = _ids(value, path, number, key)
                if len(ids) != 1:
                    raise BootDumpError(f"{key} must name one option", path=path, line=number)
                if key == "BootNext":
                    boot_next = ids[0]
                else:
                    boot_current = ids[0]
            else:
                match = re.fullmatch(r"(\d+)\s*(seconds?)?", value.strip())
                if not match:
                    raise BootDumpError(f"Timeout {value.strip()!r} is not a number of seconds", path=path, line=number)
                timeout = int(match.group(1))
            continue
        entry = _ENTRY.match(line.lstrip())
        if not entry:
            raise BootDumpError(
                f"unexpected line {stripped[:60]!r}",
                path=path,
                line=number,
                hint="expected a header (BootOrder:, BootNext:, BootCurrent:, Timeout:) or 'Boot####* description'",
            )
        found_any = True
        option_id = int(entry.group(1), 16)
        if option_id in options:
            raise BootDumpError(f"Boot{option_id:04X} is listed twice", path=path, line=number)
        active = entry.group(2) == "*"
        rest = entry.group(3)
        device_path = ""
        if "\t" in rest:
            saw_tab = True
            description, tail = rest.split("\t", 1)
            device_path, _ = split_path_and_data(tail.strip())
        else:
            old = _OLD_NODE.search(rest)
            if old:
                saw_old = True
                description = rest[: old.start()]
                device_path, _ = split_path_and_data(rest[old.start() + 1 :])
            else:
                description = rest
        description = description.strip()
        facts = path_facts(device_path)
        options[option_id] = BootOption(
            id=option_id,
            description=description,
            active=active,
            kind=classify(description, device_path, facts),
            device_path=device_path,
            mac=facts.mac or _mac_from_description(description),
            nic=facts.pci,
            uri=facts.uri,
            line=number,
        )
    if not found_any:
        raise BootDumpError(
            "no efibootmgr output found (no BootOrder and no Boot#### line)", path=path, line=1 if text else None
        )
    form = "efibootmgr-old" if saw_old and not saw_tab else "efibootmgr"
    vendor = vendor_of(options.values())
    return BootConfig(
        name=name,
        source=path,
        form=form,
        boot_order=boot_order,
        options=tuple(sorted(options.values(), key=lambda o: o.id)),
        boot_next=boot_next,
        boot_current=boot_current,
        timeout_s=timeout,
        vendor=vendor,
    )


_DESC_MAC = re.compile(r"(?:MAC:|- )\s*([0-9A-Fa-f]{2}(?::?[0-9A-Fa-f]{2}){5})\b")


def _mac_from_description(description: str) -> str | None:
    match = _DESC_MAC.search(description)
    return normalize_mac(match.group(1)) if match else None


def vendor_of(options: Iterable[BootOption]) -> str:
    """The vendor the option labels point to (``dell``, ``hpe``, ``supermicro``, ``edk2``), else ``unknown``."""
    text = " ".join(o.description for o in options)
    if re.search(r"PXE Device \d|HTTP Device \d|Integrated NIC \d", text):
        return "dell"
    if re.search(r"Embedded LOM|HPE |Embedded FlexibleLOM|\(PXE IPv[46]\)", text):
        return "hpe"
    if re.search(r"UEFI: (IP[46]|HTTP IP[46]|PXE IP[46])|UEFI: Built-in EFI Shell", text):
        return "supermicro"
    if re.search(r"UEFI (PXEv[46]|HTTPv[46]) \(MAC:|UiApp|EFI Internal Shell", text):
        return "edk2"
    return "unknown"
