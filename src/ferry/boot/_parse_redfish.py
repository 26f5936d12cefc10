"""Redfish ``ComputerSystem.Boot`` and the ``BootOptions`` collection (pure: JSON text in).

Accepted shapes (what ``curl`` against a BMC gives):

* a ComputerSystem whose ``Boot.BootOptions`` was expanded (``?$expand=.``), members inline;
* a document ``{"ComputerSystem": {...}, "BootOptions": [...] | {"Members": [...]}, "Bios": {...}}`` joining the
  system, the collection (each member a BootOption) and optionally the Bios resource.
"""

from __future__ import annotations

import re
from typing import Any

from ferry.boot._devpath import classify, path_facts
from ferry.boot._errors import BootDumpError
from ferry.boot._jsonlines import line_of_key, line_of_value, load_json
from ferry.boot._model import BootConfig, BootOption, normalize_mac
from ferry.boot._parse_efibootmgr import vendor_of
from ferry.boot._parse_vendor import looks_like_bios, parse_bios_data

__all__ = ["looks_like_redfish", "parse_redfish", "parse_redfish_data"]

_REF = re.compile(r"^Boot([0-9A-Fa-f]{4})$")


def looks_like_redfish(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    system = data.get("ComputerSystem", data.get("System", data))
    return isinstance(system, dict) and isinstance(system.get("Boot"), dict)


def _ref(value: Any, text: str, path: str, field: str) -> int:
    match = _REF.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise BootDumpError(
            f"{field} has {value!r}, not a BootOptionReference like 'Boot0001'",
            path=path,
            line=line_of_key(text, field.rsplit(".", maxsplit=1)[-1].split("[", maxsplit=1)[0]),
        )
    return int(match.group(1), 16)


def parse_redfish(text: str, *, path: str, name: str | None = None) -> BootConfig:
    return parse_redfish_data(load_json(text, path=path), text=text, path=path, name=name)


def parse_redfish_data(data: Any, *, text: str, path: str, name: str | None = None) -> BootConfig:
    if not looks_like_redfish(data):
        raise BootDumpError(
            "not a Redfish ComputerSystem with a Boot object", path=path, line=1, hint="dump /redfish/v1/Systems/<id>"
        )
    system: dict[str, Any] = data.get("ComputerSystem", data.get("System", data))
    boot: dict[str, Any] = system["Boot"]
    order_raw = boot.get("BootOrder", [])
    if not isinstance(order_raw, list):
        raise BootDumpError("Boot.BootOrder is not a list", path=path, line=line_of_key(text, "BootOrder"))
    order = tuple(_ref(v, text, path, f"Boot.BootOrder[{i}]") for i, v in enumerate(order_raw))
    boot_next = None
    if boot.get("BootNext"):
        boot_next = _ref(boot["BootNext"], text, path, "Boot.BootNext")
    members = _members(data, boot, text, path)
    options: list[BootOption] = []
    seen: set[int] = set()
    for index, member in enumerate(members):
        if not isinstance(member, dict):
            raise BootDumpError(
                f"BootOptions member {index} is not an object", path=path, line=line_of_key(text, "Members")
            )
        ref = member.get("BootOptionReference") or member.get("Id")
        option_id = _ref(ref, text, path, f"BootOptions[{index}].BootOptionReference")
        if option_id in seen:
            raise BootDumpError(
                f"Boot{option_id:04X} appears twice in BootOptions",
                path=path,
                line=line_of_value(text, "BootOptionReference", str(ref)) or line_of_value(text, "Id", str(ref)),
            )
        seen.add(option_id)
        description = str(member.get("DisplayName") or member.get("Name") or member.get("Description") or "")
        device_path = str(member.get("UefiDevicePath") or "")
        facts = path_facts(device_path)
        enabled = member.get("BootOptionEnabled", True)
        if not isinstance(enabled, bool):
            raise BootDumpError(
                f"Boot{option_id:04X}.BootOptionEnabled is {enabled!r}, not true/false",
                path=path,
                line=line_of_key(text, "BootOptionEnabled"),
            )
        mac = facts.mac
        if mac is None:
            found = re.search(r"MAC:?\s*([0-9A-Fa-f:]{12,17})", description)
            mac = normalize_mac(found.group(1)) if found else None
        options.append(
            BootOption(
                id=option_id,
                description=description,
                active=enabled,
                kind=classify(description, device_path, facts),
                device_path=device_path,
                mac=mac,
                nic=facts.pci,
                uri=facts.uri,
                line=line_of_value(text, "BootOptionReference", str(ref)) or line_of_value(text, "Id", str(ref)),
            )
        )
    server = name or str(system.get("HostName") or system.get("Name") or system.get("Id") or "server")
    config = BootConfig(
        name=server,
        source=path,
        form="redfish",
        boot_order=order,
        options=tuple(sorted(options, key=lambda o: o.id)),
        boot_next=boot_next,
        vendor=_vendor(system, options),
    )
    bios = data.get("Bios")
    if looks_like_bios(bios):
        config = config.with_vendor(parse_bios_data(bios, text=text, path=path, name=server))
    return config


def _members(data: dict[str, Any], boot: dict[str, Any], text: str, path: str) -> list[Any]:
    collection = data.get("BootOptions", boot.get("BootOptions"))
    if collection is None:
        return []
    if isinstance(collection, list):
        return collection
    if isinstance(collection, dict):
        members = collection.get("Members", [])
        if isinstance(members, list):
            # A collection that was not expanded only holds links; options are then unknown.
            return [m for m in members if not (isinstance(m, dict) and set(m) == {"@odata.id"})]
    raise BootDumpError(
        "BootOptions is neither a list nor a collection", path=path, line=line_of_key(text, "BootOptions")
    )


def _vendor(system: dict[str, Any], options: list[BootOption]) -> str:
    maker = str(system.get("Manufacturer") or "").lower()
    for key, vendor in (("dell", "dell"), ("hpe", "hpe"), ("hewlett", "hpe"), ("supermicro", "supermicro")):
        if key in maker:
            return vendor
    return vendor_of(options)
