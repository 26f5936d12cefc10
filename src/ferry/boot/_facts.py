"""NIC facts: which NIC is on the provisioning network, its link, whether DHCP answers there (pure: YAML in).

``boot/inventory.yaml``::

    servers:
      web-01:
        nics:
          - {mac: "52:54:00:00:00:02", name: eno2, link: up, provisioning: true, dhcp: true,
             family: ipv4, protocol: pxe}
          - {mac: "52:54:00:00:00:01", name: eno1, link: down}

Dell and HPE attribute dumps name NICs by slot (``NIC.Integrated.1-1-1``, ``NIC 1``): use that as ``mac``.
"""

from __future__ import annotations

from typing import Any

from ferry._kernel import YamlDocument, load_documents
from ferry.boot._errors import BootDumpError
from ferry.boot._model import NicFact, normalize_mac
from ferry.errors import ManifestError

__all__ = ["looks_like_inventory", "parse_inventory"]

_NIC_KEYS = {"mac", "name", "link", "provisioning", "dhcp", "family", "protocol"}


def looks_like_inventory(text: str) -> bool:
    return any(line.startswith("servers:") for line in text.splitlines())


def _bool(value: Any, doc: YamlDocument, path: str, at: tuple[str | int, ...], field: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("up", "down", "yes", "no"):
        return value.lower() in ("up", "yes")
    raise BootDumpError(
        f"{field} is {value!r}; use true/false (or up/down for link)", path=path, line=doc.line_of(*at, field)
    )


def parse_inventory(text: str, *, path: str) -> dict[str, tuple[NicFact, ...]]:
    """``{server: nics}`` from an inventory file; every error names its line."""
    try:
        docs = load_documents(text, path)
    except ManifestError as exc:
        raise BootDumpError(exc.message, path=path, line=exc.line) from exc
    out: dict[str, tuple[NicFact, ...]] = {}
    for doc in docs:
        data = doc.data
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            raise BootDumpError("an inventory is a mapping with 'servers:'", path=path, line=doc.line)
        for server, entry in data["servers"].items():
            nics_raw = entry.get("nics", []) if isinstance(entry, dict) else None
            if not isinstance(nics_raw, list):
                raise BootDumpError(
                    f"servers.{server}.nics must be a list", path=path, line=doc.line_of("servers", server)
                )
            nics: list[NicFact] = []
            for index, raw in enumerate(nics_raw):
                at: tuple[str | int, ...] = ("servers", server, "nics", index)
                if not isinstance(raw, dict):
                    raise BootDumpError(
                        "a NIC is a mapping (mac, link, provisioning, dhcp …)", path=path, line=doc.line_of(*at)
                    )
                unknown = set(raw) - _NIC_KEYS
                if unknown:
                    raise BootDumpError(
                        f"unknown NIC field {sorted(unknown)[0]!r}",
                        path=path,
                        line=doc.line_of(*at, sorted(unknown)[0]),
                        hint=f"known fields: {', '.join(sorted(_NIC_KEYS))}",
                    )
                mac_raw = str(raw.get("mac", ""))
                if not mac_raw:
                    raise BootDumpError("a NIC needs 'mac' (or a slot name)", path=path, line=doc.line_of(*at))
                family = str(raw.get("family", "ipv4")).lower()
                protocol = str(raw.get("protocol", "pxe")).lower()
                if family not in ("ipv4", "ipv6") or protocol not in ("pxe", "http"):
                    raise BootDumpError(
                        f"family/protocol {family}/{protocol} unknown (ipv4|ipv6, pxe|http)",
                        path=path,
                        line=doc.line_of(*at),
                    )
                nics.append(
                    NicFact(
                        mac=normalize_mac(mac_raw) or mac_raw,
                        link=_bool(raw.get("link"), doc, path, at, "link"),
                        provisioning=bool(_bool(raw.get("provisioning", False), doc, path, at, "provisioning")),
                        dhcp=_bool(raw.get("dhcp"), doc, path, at, "dhcp"),
                        family=family,
                        protocol=protocol,
                        name=str(raw.get("name", "")),
                    )
                )
            if sum(n.provisioning for n in nics) > 1:
                raise BootDumpError(
                    f"{server} has more than one provisioning NIC", path=path, line=doc.line_of("servers", server)
                )
            out[str(server)] = tuple(nics)
    return out
