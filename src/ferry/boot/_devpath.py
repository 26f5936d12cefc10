"""Device paths: classify the text any tool prints, and convert the UEFI binary form to and from text (pure).

Three spellings exist for the same node (libefivar in efibootmgr, edk2's own ``ConvertDevicePathToText`` on
consoles and in Redfish ``UefiDevicePath``, and the old efivar 0.x form without slashes); classification works on
all of them by looking for node names, never on descriptions alone.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass

from ferry.boot._model import OptionKind, normalize_mac

__all__ = [
    "DevicePathError",
    "PathFacts",
    "classify",
    "decode_device_path",
    "encode_device_path",
    "path_facts",
]

UIAPP_GUID = "462caa21-7614-4503-836e-8ab6f4662331"
SHELL_GUIDS = frozenset({"7c04a583-9e3e-4f1c-ad65-e05268d0b4d1", "c57ad6b7-0515-40a8-9d21-551652854e37"})
SHELL_VENMEDIA = "5023b95c-db26-429b-a648-bd47664c8012"

_MAC_NODE = re.compile(r"MAC\(\s*([0-9A-Fa-f:.-]+)\s*(?:,\s*(?:0x)?[0-9A-Fa-f]+)?\s*\)")
_URI_NODE = re.compile(r"Uri\(([^)]*)\)")
_DISK_NODES = ("HD(", "NVMe(", "Sata(", "Scsi(", "SAS(", "SasEx(", "File(", "CDROM(", "eMMC(", "SD(")
_REMOVABLE_NODES = ("UsbClass(", "USB(", "UsbWwid(", "CDROM(")


class DevicePathError(ValueError):
    """A binary device path that cannot be decoded (offset and reason)."""


@dataclass(frozen=True)
class PathFacts:
    """What a device path says: kind, NIC, URI."""

    kind: OptionKind | None
    mac: str | None
    uri: str | None
    pci: str | None


def _description_kind(description: str) -> OptionKind | None:
    d = description.lower()
    six = bool(re.search(r"ipv6|\bip6\b|ip6 |pxev6|httpv6", d))
    if re.search(r"https?\(s\)|\bhttps?\b|httpv[46]|http boot|http device", d):
        return OptionKind.HTTP6 if six else OptionKind.HTTP4
    if re.search(r"pxe|\bip4\b|ip4 |ipv4|network|\bnic\b|\blan\b|ethernet", d):
        return OptionKind.PXE6 if six else OptionKind.PXE4
    if "shell" in d:
        return OptionKind.SHELL
    if re.search(r"uiapp|boot manager menu|\bsetup\b|bios setup|boot menu", d):
        return OptionKind.APP
    if re.search(r"usb|cd-?rom|dvd|optical|floppy|virtual media|removable", d):
        return OptionKind.REMOVABLE
    if re.search(r"hard ?drive|hard disk|\bdisk\b|nvme|sata|raid|\bssd\b|boot manager|ubuntu|debian|linux|centos", d):
        return OptionKind.DISK
    return None


def path_facts(device_path: str) -> PathFacts:
    """Kind (None when the path alone cannot tell), MAC, URI and PCI prefix of a device path in any spelling."""
    path = device_path
    mac_match = _MAC_NODE.search(path)
    mac = normalize_mac(mac_match.group(1)) if mac_match else None
    uri_match = _URI_NODE.search(path)
    uri = uri_match.group(1).strip() or None if uri_match else None
    pci = path[: mac_match.start()].rstrip("/") if mac_match else None
    kind: OptionKind | None
    if "Uri(" in path:
        kind = OptionKind.HTTP6 if "IPv6(" in path else OptionKind.HTTP4
    elif "IPv6(" in path:
        kind = OptionKind.PXE6
    elif "IPv4(" in path:
        kind = OptionKind.PXE4
    elif mac_match:
        kind = OptionKind.NIC_ROM
    elif "FvFile(" in path:
        guid = path.split("FvFile(", 1)[1].split(")", 1)[0].lower()
        kind = OptionKind.SHELL if guid in SHELL_GUIDS else OptionKind.APP
    elif SHELL_VENMEDIA in path.lower():
        kind = OptionKind.SHELL
    elif any(n in path for n in _REMOVABLE_NODES):
        kind = OptionKind.REMOVABLE
    elif any(n in path for n in _DISK_NODES) or path.startswith("BBS(HD"):
        kind = OptionKind.DISK
    else:
        kind = None
    return PathFacts(kind, mac, uri, pci or None)


def classify(description: str, device_path: str, facts: PathFacts | None = None) -> OptionKind:
    """The option's kind: from the device path first (section 2.2's rule), then from the description.

    Vendor paths (``VenHw``), BBS entries and old spellings fall back to the description, which is how Dell's
    ``PXE Device 1: …`` and HPE's ``… (HTTP(S) IPv4)`` options are told apart.
    """
    facts = facts or path_facts(device_path)
    if facts.kind is not None and facts.kind is not OptionKind.NIC_ROM:
        return facts.kind
    by_description = _description_kind(description)
    if facts.kind is OptionKind.NIC_ROM:
        return by_description if by_description in (OptionKind.HTTP4, OptionKind.HTTP6) else OptionKind.NIC_ROM
    return by_description if by_description is not None else OptionKind.VENDOR


# --- binary form (UEFI spec 10.3) -------------------------------------------------------------------------------


def _guid(data: bytes) -> str:
    return str(uuid.UUID(bytes_le=bytes(data[:16])))


def _ucs2(data: bytes) -> str:
    text = bytes(data).decode("utf-16-le", errors="replace")
    return text.split("\x00", 1)[0]


def _ipv4(data: bytes) -> str:
    return ".".join(str(b) for b in data[:4])


def _ipv6(data: bytes) -> str:
    return ":".join(f"{data[i]:02x}{data[i + 1]:02x}" for i in range(0, 16, 2))


def _node_text(ntype: int, sub: int, body: bytes) -> str:
    if ntype == 1 and sub == 1 and len(body) >= 2:
        return f"Pci(0x{body[1]:x},0x{body[0]:x})"
    if ntype == 1 and sub == 4 and len(body) >= 16:
        extra = body[16:].hex()
        return f"VenHw({_guid(body)}{',' + extra if extra else ''})"
    if ntype == 2 and sub == 1 and len(body) >= 8:
        hid, uid = struct.unpack_from("<II", body)
        if hid == 0x0A0341D0:
            return f"PciRoot(0x{uid:x})"
        if hid == 0x0A0841D0:
            return f"PcieRoot(0x{uid:x})"
        return f"Acpi(0x{hid:08x},0x{uid:x})"
    if ntype == 3 and sub == 11 and len(body) >= 33:
        return f"MAC({body[:6].hex()},0x{body[32]:x})"
    if ntype == 3 and sub == 12 and len(body) >= 19:
        proto = struct.unpack_from("<H", body, 12)[0]
        static = "Static" if body[14] else "DHCP"
        gw = _ipv4(body[15:19]) if len(body) >= 23 else "0.0.0.0"
        mask = _ipv4(body[19:23]) if len(body) >= 23 else "0.0.0.0"
        return f"IPv4({_ipv4(body[4:8])},0x{proto:x},{static},{_ipv4(body[:4])},{gw},{mask})"
    if ntype == 3 and sub == 13 and len(body) >= 38:
        proto = struct.unpack_from("<H", body, 36)[0]
        origin = (
            ("Static", "StatelessAutoConfigure", "StatefulAutoConfigure")[min(body[38], 2)]
            if len(body) > 38
            else "Static"
        )
        prefix = body[39] if len(body) > 39 else 0
        gw = _ipv6(body[40:56]) if len(body) >= 56 else _ipv6(bytes(16))
        return f"IPv6({_ipv6(body[16:32])},0x{proto:x},{origin},{_ipv6(body[:16])},0x{prefix:x},{gw})"
    if ntype == 3 and sub == 24:
        return f"Uri({bytes(body).decode('ascii', errors='replace')})"
    if ntype == 3 and sub == 15 and len(body) >= 7:
        vid, pid = struct.unpack_from("<HH", body)
        return f"UsbClass(0x{vid:x},0x{pid:x},0x{body[4]:x},0x{body[5]:x},0x{body[6]:x})"
    if ntype == 3 and sub == 5 and len(body) >= 2:
        return f"USB(0x{body[0]:x},0x{body[1]:x})"
    if ntype == 3 and sub == 18 and len(body) >= 6:
        port, mult, lun = struct.unpack_from("<HHH", body)
        return f"Sata(0x{port:x},0x{mult:x},0x{lun:x})"
    if ntype == 3 and sub == 23 and len(body) >= 4:
        nsid = struct.unpack_from("<I", body)[0]
        return f"NVMe(0x{nsid:x},{body[4:12].hex('-').upper()})"
    if ntype == 4 and sub == 1 and len(body) >= 38:
        part, start, size = struct.unpack_from("<IQQ", body)
        sig, sigtype = body[20:36], body[37]
        if sigtype == 2:
            return f"HD({part},GPT,{_guid(sig)},0x{start:x},0x{size:x})"
        return f"HD({part},MBR,0x{struct.unpack_from('<I', sig)[0]:08x},0x{start:x},0x{size:x})"
    if ntype == 4 and sub == 4:
        return f"File({_ucs2(body)})"
    if ntype == 4 and sub == 6 and len(body) >= 16:
        return f"FvFile({_guid(body)})"
    if ntype == 4 and sub == 7 and len(body) >= 16:
        return f"Fv({_guid(body)})"
    if ntype == 4 and sub == 3 and len(body) >= 16:
        return f"VenMedia({_guid(body)})"
    if ntype == 5 and sub == 1 and len(body) >= 4:
        dev_type = struct.unpack_from("<H", body)[0]
        label = bytes(body[4:]).split(b"\x00", 1)[0].decode("ascii", errors="replace")
        return f"BBS(0x{dev_type:x},{label})"
    return f"Path({ntype},{sub},{body.hex()})"


def decode_device_path(data: bytes) -> str:
    """The edk2 text of a binary device path list (instances joined with ``,``)."""
    nodes: list[str] = []
    instances: list[str] = []
    offset = 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise DevicePathError(f"truncated node header at byte {offset}")
        ntype, sub, length = struct.unpack_from("<BBH", data, offset)
        if length < 4 or offset + length > len(data):
            raise DevicePathError(f"node at byte {offset} has bad length {length}")
        body = data[offset + 4 : offset + length]
        offset += length
        if ntype == 0x7F:
            instances.append("/".join(nodes))
            nodes = []
            if sub == 0xFF:
                break
            continue
        nodes.append(_node_text(ntype, sub, body))
    else:
        if nodes:
            raise DevicePathError("device path has no end node")
    return ",".join(instances)


# --- text -> binary, for the nodes ferry writes (tests, examples, fixtures) --------------------------------------

_NODE = re.compile(r"^(\w+)\((.*)\)$")


def _int(text: str) -> int:
    return int(text, 0)


def _node(ntype: int, sub: int, body: bytes) -> bytes:
    return struct.pack("<BBH", ntype, sub, 4 + len(body)) + body


def _encode_node(name: str, args: list[str]) -> bytes:
    if name == "PciRoot":
        return _node(2, 1, struct.pack("<II", 0x0A0341D0, _int(args[0])))
    if name == "Pci":
        return _node(1, 1, bytes([_int(args[1]), _int(args[0])]))
    if name == "MAC":
        mac = bytes.fromhex(re.sub(r"[^0-9a-fA-F]", "", args[0]))
        return _node(3, 11, mac.ljust(32, b"\x00") + bytes([_int(args[1]) if len(args) > 1 else 1]))
    if name == "IPv4":
        remote = bytes(int(x) for x in args[0].split(".")) if args and args[0] else bytes(4)
        static = 1 if len(args) > 2 and args[2] == "Static" else 0
        local = bytes(int(x) for x in args[3].split(".")) if len(args) > 3 else bytes(4)
        body = local + remote + struct.pack("<HHH", 0, 0, 0) + bytes([static]) + bytes(8)
        return _node(3, 12, body)
    if name == "IPv6":
        return _node(3, 13, bytes(16) + bytes(16) + struct.pack("<HHH", 0, 0, 0) + bytes([0, 0x40]) + bytes(16))
    if name == "Uri":
        return _node(3, 24, ",".join(args).encode("ascii"))
    if name == "HD":
        part, fmt, sig, start, size = args
        if fmt != "GPT":
            raise DevicePathError(f"only GPT HD nodes can be written, not {fmt}")
        body = struct.pack("<IQQ", int(part), _int(start), _int(size)) + uuid.UUID(sig).bytes_le + bytes([2, 2])
        return _node(4, 1, body)
    if name == "File":
        return _node(4, 4, (",".join(args) + "\x00").encode("utf-16-le"))
    if name == "FvFile":
        return _node(4, 6, uuid.UUID(args[0]).bytes_le)
    if name in ("Fv", "FvVol"):
        return _node(4, 7, uuid.UUID(args[0]).bytes_le)
    if name == "VenHw":
        return _node(1, 4, uuid.UUID(args[0]).bytes_le + (bytes.fromhex(args[1]) if len(args) > 1 else b""))
    if name == "UsbClass":
        vid, pid, cls, subcls, proto = (_int(a) for a in args)
        return _node(3, 15, struct.pack("<HHBBB", vid, pid, cls, subcls, proto))
    if name == "NVMe":
        return _node(3, 23, struct.pack("<I", _int(args[0])) + bytes.fromhex(args[1].replace("-", "")))
    raise DevicePathError(f"cannot write device path node {name}(…)")


def _split_nodes(text: str) -> list[str]:
    nodes, depth, current = [], 0, ""
    for ch in text:
        if ch == "/" and depth == 0:
            nodes.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        nodes.append(current)
    return nodes


def encode_device_path(text: str) -> bytes:
    """The binary device path for text in edk2 or efivar spelling (the node types ferry writes)."""
    out = b""
    for raw in _split_nodes(text.strip()):
        match = _NODE.match(raw.strip())
        if not match:
            raise DevicePathError(f"not a device path node: {raw!r}")
        name, inner = match.groups()
        args = [a.strip() for a in inner.split(",")] if inner else []
        out += _encode_node(name, args)
    return out + _node(0x7F, 0xFF, b"")
