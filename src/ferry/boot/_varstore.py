"""OVMF's NVRAM file (an edk2 authenticated variable store in a firmware volume): read and rewrite (pure bytes).

Layout: a firmware volume header whose GUID is ``EFI_SYSTEM_NV_DATA_FV_GUID``; after it a variable store header
(authenticated-variables GUID, size, format 0x5A, state 0xFE); then variables, each 4-byte aligned: StartId 0x55AA,
State, reserved, Attributes, MonotonicCount, TimeStamp, PubKeyIndex, NameSize, DataSize, VendorGuid, Name (UCS-2),
Data. Only variables in state ``VAR_ADDED`` (0x3F) are live.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from ferry.boot._efivar import (
    EFI_GLOBAL_GUID,
    NV_BS_RT,
    decode_load_option,
    encode_boot_order,
    encode_load_option,
    encode_u16,
)

__all__ = ["VarStore", "VarStoreError", "Variable", "apply_plan_to_image"]

_NV_DATA_FV = uuid.UUID("fff12b8d-7696-4c8b-a985-2747075b4f50")
_AUTH_VARS = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
_FV_SIGNATURE = 0x4856465F  # "_FVH"
_VAR_ADDED = 0x3F
_HEADER = 60  # StartId .. VendorGuid of an authenticated variable header


class VarStoreError(ValueError):
    """The bytes are not an edk2 variable store, or the new variables do not fit."""


@dataclass(frozen=True)
class Variable:
    name: str
    guid: str
    attributes: int
    data: bytes
    monotonic_count: int = 0
    timestamp: bytes = bytes(16)
    pubkey_index: int = 0


@dataclass(frozen=True)
class VarStore:
    """A parsed store: the whole image, where the variable area lies, and the live variables in order."""

    image: bytes
    start: int
    end: int
    variables: tuple[Variable, ...]

    @classmethod
    def parse(cls, image: bytes) -> VarStore:
        if len(image) < 128:
            raise VarStoreError(f"{len(image)} bytes is too small for a firmware volume")
        guid = uuid.UUID(bytes_le=image[16:32])
        _length, signature, _attrs, header_len = struct.unpack_from("<QIIH", image, 32)
        if signature != _FV_SIGNATURE or guid != _NV_DATA_FV:
            raise VarStoreError("no NV data firmware volume at the start (not an OVMF VARS file)")
        store = header_len
        store_guid = uuid.UUID(bytes_le=image[store : store + 16])
        size, fmt, state = struct.unpack_from("<IBB", image, store + 16)
        if store_guid != _AUTH_VARS or fmt != 0x5A or state != 0xFE:
            raise VarStoreError("the variable store header is not an authenticated, healthy edk2 store")
        start, end = store + 28, store + size
        if end > len(image):
            raise VarStoreError(f"variable store of {size} bytes runs past the image ({len(image)} bytes)")
        variables: list[Variable] = []
        pos = start
        while pos + _HEADER <= end:
            magic, var_state, attributes, count = struct.unpack_from("<HBxIQ", image, pos)
            if magic != 0x55AA:
                break
            timestamp = image[pos + 16 : pos + 32]
            pubkey, name_size, data_size = struct.unpack_from("<III", image, pos + 32)
            vendor = str(uuid.UUID(bytes_le=image[pos + 44 : pos + 60]))
            name_start = pos + _HEADER
            data_start = name_start + name_size
            if data_start + data_size > end:
                raise VarStoreError(f"variable at offset {pos:#x} runs past the store")
            if var_state == _VAR_ADDED:
                name = image[name_start:data_start].decode("utf-16-le").rstrip("\x00")
                data = image[data_start : data_start + data_size]
                variables.append(Variable(name, vendor, attributes, data, count, timestamp, pubkey))
            pos = (data_start + data_size + 3) & ~3
        return cls(image, start, end, tuple(variables))

    def get(self, name: str, guid: str) -> Variable | None:
        for var in self.variables:
            if var.name == name and var.guid == guid:
                return var
        return None

    def as_mapping(self) -> dict[str, tuple[int, bytes]]:
        """``{"Name-guid": (attributes, data)}``, the efivarfs naming."""
        return {f"{v.name}-{v.guid}": (v.attributes, v.data) for v in self.variables}

    def replace(self, changes: dict[tuple[str, str], tuple[int, bytes] | None]) -> bytes:
        """A new, compacted image; ``changes`` maps (name, guid) to (attributes, data), or to None to delete."""
        done = set()
        out: list[Variable] = []
        for var in self.variables:
            key = (var.name, var.guid)
            if key in changes:
                done.add(key)
                new = changes[key]
                if new is None:
                    continue
                out.append(Variable(var.name, var.guid, new[0], new[1], var.monotonic_count, var.timestamp))
            else:
                out.append(var)
        for key, new in changes.items():
            if key not in done and new is not None:
                out.append(Variable(key[0], key[1], new[0], new[1]))
        blob = b"".join(_encode(v) for v in out)
        if len(blob) > self.end - self.start:
            raise VarStoreError(f"variables need {len(blob)} bytes; the store holds {self.end - self.start}")
        return self.image[: self.start] + blob + b"\xff" * (self.end - self.start - len(blob)) + self.image[self.end :]


def _encode(var: Variable) -> bytes:
    name = (var.name + "\x00").encode("utf-16-le")
    head = struct.pack("<HBxIQ", 0x55AA, _VAR_ADDED, var.attributes, var.monotonic_count) + var.timestamp
    head += struct.pack("<III", var.pubkey_index, len(name), len(var.data)) + uuid.UUID(var.guid).bytes_le
    blob = head + name + var.data
    return blob + b"\xff" * (-len(blob) % 4)


def apply_plan_to_image(
    image: bytes,
    boot_order: tuple[int, ...],
    deactivate: tuple[int, ...],
    activate: tuple[int, ...],
    boot_next: int | None,
    clear_boot_next: bool,
) -> bytes:
    """An OVMF VARS image with a plan applied: ACTIVE bits flipped, BootOrder written, BootNext set or deleted."""
    store = VarStore.parse(image)
    changes: dict[tuple[str, str], tuple[int, bytes] | None] = {}
    for option_id, active in [*((i, False) for i in deactivate), *((i, True) for i in activate)]:
        name = f"Boot{option_id:04X}"
        var = store.get(name, EFI_GLOBAL_GUID)
        if var is None:
            raise VarStoreError(f"{name} is not in the variable store")
        option = decode_load_option(var.data).with_active(active)
        changes[(name, EFI_GLOBAL_GUID)] = (var.attributes, encode_load_option(option))
    changes[("BootOrder", EFI_GLOBAL_GUID)] = (NV_BS_RT, encode_boot_order(boot_order))
    if boot_next is not None:
        changes[("BootNext", EFI_GLOBAL_GUID)] = (NV_BS_RT, encode_u16(boot_next))
    elif clear_boot_next:
        changes[("BootNext", EFI_GLOBAL_GUID)] = None
    return store.replace(changes)
