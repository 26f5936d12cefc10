from __future__ import annotations

import struct

import pytest

from ferry.boot import BOOT_MARKER, BootDumpError, OptionKind, efi_boot_target
from ferry.boot._facts import parse_inventory
from ferry.boot._serial import read_serial

# Captured from OVMF under QEMU (one dead NIC, then the provisioning NIC): line start times in seconds.
CAPTURED = [
    (0.0, "qemu-system-x86_64: warning: hub 0 is not connected to host network"),
    (9.75, "\x1b[2J\x1b[01;01H>>Start PXE over IPv4."),
    (75.77, "  PXE-E18: Server response timeout."),
    (
        75.77,
        'BdsDxe: failed to load Boot0001 "UEFI PXEv4 (MAC:525400000001)" from PciRoot(0x0)/Pci(0x1,0x0)/'
        "MAC(525400000001,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0): Not Found",
    ),
    (75.8, ">>Start PXE over IPv4."),
    (79.6, "  Station IP address is 10.0.2.15"),
    (80.0, 'BdsDxe: loading Boot0005 "UEFI PXEv4 (MAC:525400000002)" from PciRoot(0x0)/Pci(0x2,0x0)/MAC(…)'),
    (80.1, 'BdsDxe: starting Boot0005 "UEFI PXEv4 (MAC:525400000002)" from PciRoot(0x0)/Pci(0x2,0x0)/MAC(…)'),
    (80.12, BOOT_MARKER),
]


def test_serial_timeline_of_a_captured_boot() -> None:
    timeline = read_serial(CAPTURED)
    assert timeline.first_attempt_s == 9.75
    assert timeline.booted_s == 80.12
    assert timeline.phase_s == pytest.approx(70.37)
    a, b = timeline.attempts
    assert (a.option_id, a.kind, a.outcome) == (1, OptionKind.PXE4, "fail")
    assert a.seconds == pytest.approx(66.02)
    assert (b.option_id, b.outcome) == (5, "success")


def test_serial_fall_through_to_shell_and_http_and_ipxe() -> None:
    lines = [
        (5.0, "iPXE 1.0.0+ -- Open Source Network Boot Firmware -- https://ipxe.org"),
        (21.0, ">>Start HTTP Boot over IPv6."),
        (85.0, "  Error: Unexpected network error."),
        (85.1, 'BdsDxe: failed to load Boot0005 "UEFI HTTPv6 (MAC:525400000001)" from X: Not Found'),
        (85.2, 'BdsDxe: loading Boot000B "EFI Internal Shell" from Fv(…)/FvFile(…)'),
        (89.3, 'BdsDxe: starting Boot000B "EFI Internal Shell" from Fv(…)/FvFile(…)'),
    ]
    timeline = read_serial(lines)
    kinds = [(m.kind, m.outcome) for m in timeline.attempts]
    assert kinds == [
        (OptionKind.NIC_ROM, "fail"),
        (OptionKind.HTTP6, "fail"),
        (OptionKind.SHELL, "stop"),
    ]
    assert timeline.booted_s is None and timeline.shell_s == 85.2  # reached when loading began, not 4 s later
    assert timeline.phase_s == pytest.approx(80.2)


def test_efi_boot_target_is_a_pe32plus_efi_application() -> None:
    image = efi_boot_target()
    assert image[:2] == b"MZ"
    pe = struct.unpack_from("<I", image, 0x3C)[0]
    assert image[pe : pe + 4] == b"PE\x00\x00"
    machine, sections = struct.unpack_from("<HH", image, pe + 4)
    assert (machine, sections) == (0x8664, 1)
    magic = struct.unpack_from("<H", image, pe + 24)[0]
    entry = struct.unpack_from("<I", image, pe + 24 + 16)[0]
    subsystem = struct.unpack_from("<H", image, pe + 24 + 68)[0]
    assert (magic, entry, subsystem) == (0x20B, 0x1000, 10)
    assert BOOT_MARKER.encode("utf-16-le") in image
    assert len(image) % 0x200 == 0


INVENTORY = """\
servers:
  a:
    nics:
      - {mac: "52-54-00-00-00-01", link: up, provisioning: true, dhcp: true}
      - {mac: NIC.Slot.1-1-1, link: down}
"""


def test_inventory() -> None:
    facts = parse_inventory(INVENTORY, path="inv.yaml")
    a = facts["a"]
    assert a[0].mac == "52:54:00:00:00:01" and a[0].link is True and a[0].provisioning
    assert a[1].mac == "NIC.Slot.1-1-1" and a[1].link is False and a[1].dhcp is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("servers:\n  a:\n    nics:\n      - {mac: x, colour: red}\n", 4, "unknown NIC field"),
        ("servers:\n  a:\n    nics:\n      - {mac: x, link: sideways}\n", 4, "use true/false"),
        ("servers:\n  a:\n    nics: 5\n", 2, "must be a list"),
        ("servers:\n  a:\n    nics:\n      - {link: up}\n", 4, "needs 'mac'"),
        ("servers: [\n", 2, ""),
        (
            "servers:\n  a:\n    nics:\n      - {mac: x, provisioning: true}\n      - {mac: y, provisioning: true}\n",
            2,
            "more than one provisioning NIC",
        ),
    ],
)
def test_inventory_errors(text: str, line: int, words: str) -> None:
    with pytest.raises(BootDumpError) as info:
        parse_inventory(text, path="inv.yaml")
    assert info.value.line == line
    assert words in str(info.value)
