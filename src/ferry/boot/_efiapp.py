"""A tiny UEFI application, built byte by byte: the network boot target ``ferry boot verify`` serves (pure).

It prints a marker line on the console and powers the machine off through ``ResetSystem(EfiResetShutdown)``, so an
emulated boot ends by itself the moment a boot option succeeds. Hand-assembled x86-64, position independent (no
relocations), PE32+ with subsystem EFI application.
"""

from __future__ import annotations

import struct

__all__ = ["BOOT_MARKER", "efi_boot_target"]

BOOT_MARKER = "ferry-boot-target-reached"
"""What the application prints; seeing it on the serial console means a boot option succeeded."""

_FILE_ALIGN = 0x200
_SECTION_RVA = 0x1000


def _code() -> bytes:
    message = ("\r\n" + BOOT_MARKER + "\r\n\x00").encode("utf-16-le")
    head = bytes.fromhex(
        "53"  # push rbx                       (aligns the stack to 16)
        "4883ec20"  # sub rsp, 0x20                (shadow space)
        "4889d3"  # mov rbx, rdx                   (SystemTable)
        "488b4b40"  # mov rcx, [rbx+0x40]          (ConOut)
    )
    lea_at = len(head)
    tail = bytes.fromhex(
        "ff5108"  # call [rcx+0x08]                (OutputString)
        "488b4358"  # mov rax, [rbx+0x58]          (RuntimeServices)
        "b902000000"  # mov ecx, 2                 (EfiResetShutdown)
        "31d2"  # xor edx, edx
        "4531c0"  # xor r8d, r8d
        "4531c9"  # xor r9d, r9d
        "ff5068"  # call [rax+0x68]                (ResetSystem)
        "4883c420"  # add rsp, 0x20
        "5b"  # pop rbx
        "31c0"  # xor eax, eax                     (EFI_SUCCESS, should the reset return)
        "c3"  # ret
    )
    lea_len = 7
    message_at = lea_at + lea_len + len(tail)
    displacement = message_at - (lea_at + lea_len)
    lea = bytes.fromhex("488d15") + struct.pack("<i", displacement)  # lea rdx, [rip+message]
    return head + lea + tail + message


def efi_boot_target() -> bytes:
    """The PE32+ image (x86-64)."""
    code = _code()
    raw_size = (len(code) + _FILE_ALIGN - 1) // _FILE_ALIGN * _FILE_ALIGN
    image_size = _SECTION_RVA + (len(code) + 0xFFF) // 0x1000 * 0x1000
    dos = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x0022)
    optional = struct.pack(
        "<HBBIIIIIQIIHHHHHHIIIIHHQQQQII",
        0x20B,  # PE32+
        0,
        0,
        raw_size,  # SizeOfCode
        0,
        0,
        _SECTION_RVA,  # AddressOfEntryPoint
        _SECTION_RVA,  # BaseOfCode
        0x400000,  # ImageBase
        0x1000,  # SectionAlignment
        _FILE_ALIGN,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        image_size,
        _FILE_ALIGN,  # SizeOfHeaders
        0,  # CheckSum
        10,  # Subsystem: EFI application
        0,
        0x10000,
        0x1000,
        0x10000,
        0x1000,
        0,
        16,
    ) + bytes(16 * 8)
    section = struct.pack(
        "<8sIIIIIIHHI", b".text", len(code), _SECTION_RVA, raw_size, _FILE_ALIGN, 0, 0, 0, 0, 0x60000020
    )
    headers = dos + b"PE\x00\x00" + coff + optional + section
    return headers.ljust(_FILE_ALIGN, b"\x00") + code.ljust(raw_size, b"\x00")
