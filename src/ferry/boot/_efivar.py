"""EFI variables in their binary form: ``EFI_LOAD_OPTION``, ``BootOrder``, and efivarfs files (pure bytes).

An efivarfs file is the 4-byte little-endian variable attributes followed by the data; ``Boot####`` data is an
``EFI_LOAD_OPTION``: UINT32 attributes, UINT16 file-path-list length, NUL-terminated UCS-2 description, the
device path list, then optional data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "EFI_GLOBAL_GUID",
    "LOAD_OPTION_ACTIVE",
    "LOAD_OPTION_HIDDEN",
    "NV_BS_RT",
    "EfiVarError",
    "LoadOption",
    "decode_boot_order",
    "decode_efivarfs_file",
    "decode_load_option",
    "decode_u16",
    "encode_boot_order",
    "encode_efivarfs_file",
    "encode_load_option",
    "encode_u16",
]

EFI_GLOBAL_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
LOAD_OPTION_ACTIVE = 0x1
LOAD_OPTION_HIDDEN = 0x8
LOAD_OPTION_CATEGORY_APP = 0x100
NV_BS_RT = 0x7
"""Non-volatile, boot-service and runtime access: how BootOrder, BootNext and Boot#### are stored."""


class EfiVarError(ValueError):
    """Bytes that are not a valid variable of the expected type."""


@dataclass(frozen=True)
class LoadOption:
    """A decoded ``EFI_LOAD_OPTION``; ``device_path`` stays binary."""

    attributes: int
    description: str
    device_path: bytes
    optional_data: bytes = b""

    @property
    def active(self) -> bool:
        return bool(self.attributes & LOAD_OPTION_ACTIVE)

    def with_active(self, active: bool) -> LoadOption:
        attrs = self.attributes | LOAD_OPTION_ACTIVE if active else self.attributes & ~LOAD_OPTION_ACTIVE
        return LoadOption(attrs, self.description, self.device_path, self.optional_data)


def decode_load_option(data: bytes) -> LoadOption:
    if len(data) < 8:
        raise EfiVarError(f"load option is {len(data)} bytes, shorter than its 6-byte header and a NUL")
    attributes, path_len = struct.unpack_from("<IH", data)
    end = 6
    while True:
        if end + 2 > len(data):
            raise EfiVarError("description is not NUL-terminated")
        if data[end : end + 2] == b"\x00\x00":
            break
        end += 2
    description = data[6:end].decode("utf-16-le", errors="replace")
    path_start = end + 2
    if path_start + path_len > len(data):
        raise EfiVarError(f"device path list of {path_len} bytes runs past the end ({len(data)} bytes)")
    return LoadOption(attributes, description, data[path_start : path_start + path_len], data[path_start + path_len :])


def encode_load_option(option: LoadOption) -> bytes:
    desc = (option.description + "\x00").encode("utf-16-le")
    header = struct.pack("<IH", option.attributes, len(option.device_path))
    return header + desc + option.device_path + option.optional_data


def decode_u16(data: bytes) -> int:
    if len(data) != 2:
        raise EfiVarError(f"expected a UINT16 (2 bytes), got {len(data)} bytes")
    value: int = struct.unpack("<H", data)[0]
    return value


def encode_u16(value: int) -> bytes:
    return struct.pack("<H", value)


def decode_boot_order(data: bytes) -> tuple[int, ...]:
    if len(data) % 2:
        raise EfiVarError(f"BootOrder has an odd length ({len(data)} bytes)")
    return struct.unpack(f"<{len(data) // 2}H", data)


def encode_boot_order(order: tuple[int, ...] | list[int]) -> bytes:
    return struct.pack(f"<{len(order)}H", *order)


def decode_efivarfs_file(blob: bytes) -> tuple[int, bytes]:
    """(attributes, data) of an efivarfs file."""
    if len(blob) < 4:
        raise EfiVarError(f"efivarfs file is {len(blob)} bytes; it must start with 4 bytes of attributes")
    return struct.unpack_from("<I", blob)[0], blob[4:]


def encode_efivarfs_file(data: bytes, attributes: int = NV_BS_RT) -> bytes:
    return struct.pack("<I", attributes) + data
