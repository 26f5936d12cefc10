from __future__ import annotations

import pytest

from ferry.boot import BootDumpError, OptionKind, parse_efibootmgr
from ferry.boot._parse_efibootmgr import split_path_and_data


def test_captured_v17_every_field(captured_v17: str) -> None:
    cfg = parse_efibootmgr(captured_v17, path="cap.txt", name="ovmf")
    assert cfg.form == "efibootmgr"
    assert cfg.vendor == "edk2"
    assert cfg.boot_order == (0x11, 0x7, 0x10, 0x0, 0xB)
    assert (cfg.boot_next, cfg.boot_current, cfg.timeout_s) == (0x10, 0xB, 5)
    kinds = {o.ref: o.kind for o in cfg.options}
    assert kinds == {
        "Boot0000": OptionKind.APP,
        "Boot0001": OptionKind.NIC_ROM,
        "Boot0002": OptionKind.PXE4,
        "Boot0003": OptionKind.PXE6,
        "Boot0004": OptionKind.HTTP4,
        "Boot0005": OptionKind.HTTP6,
        "Boot0006": OptionKind.NIC_ROM,
        "Boot0007": OptionKind.PXE4,
        "Boot0008": OptionKind.PXE6,
        "Boot0009": OptionKind.HTTP4,
        "Boot000A": OptionKind.HTTP6,
        "Boot000B": OptionKind.SHELL,
        "Boot0010": OptionKind.DISK,
        "Boot0011": OptionKind.HTTP4,
    }
    inactive = [o.ref for o in cfg.options if not o.active]
    assert inactive == ["Boot0003"]
    nic2 = cfg.option(0x11)
    assert nic2 is not None
    assert nic2.mac == "52:54:00:00:00:02"
    assert nic2.uri == "http://192.0.2.10/boot/ipxe.efi"
    assert nic2.nic == "PciRoot(0x0)/Pci(0x2,0x0)"
    assert cfg.option(0x2).device_path.endswith("IPv4(0.0.0.00.0.0.0,0,0)")  # optional data stripped
    assert cfg.option(0x2).description == "UEFI PXEv4 (MAC:525400000001) 2"
    assert cfg.option(0x2).line == 7
    # options outside BootOrder are reported, not dropped
    assert {o.ref for o in cfg.orphans} >= {"Boot0001", "Boot0006"}


def test_old_efibootmgr_without_tab(old_dump: str) -> None:
    cfg = parse_efibootmgr(old_dump, path="old.txt", name="db")
    assert cfg.form == "efibootmgr-old"
    net = cfg.option(3)
    assert net is not None
    assert net.kind is OptionKind.PXE4
    assert net.mac == "f0:79:59:de:54:bb"
    assert net.description == "Network Card"
    disk = cfg.option(1)
    assert disk is not None and disk.kind is OptionKind.DISK and disk.description == "ubuntu"


def test_without_verbose_classifies_by_description() -> None:
    text = "BootOrder: 0006,0000\nBoot0000* CentOS\nBoot0006* UEFI: IP4 Intel(R) Ethernet Connection I354\n"
    text += "Boot0007* UEFI: IP6 Intel(R) Ethernet Connection I354\nBoot0003* UEFI: Built-in EFI Shell\n"
    cfg = parse_efibootmgr(text, path="x", name="smc")
    assert [o.kind for o in cfg.options] == [
        OptionKind.DISK,
        OptionKind.SHELL,
        OptionKind.PXE4,
        OptionKind.PXE6,
    ]
    assert cfg.vendor == "supermicro"


def test_vendor_spellings() -> None:
    dell = "BootOrder: 0003,0004\n"
    dell += "Boot0003* PXE Device 1: Integrated NIC 1 Port 1 Partition 1\tVenHw(3a191845-5f86-4e78-8fce-c4cff59f9daa)\n"
    dell += "Boot0004* HTTP Device 1: NIC in Slot 2 Port 1 Partition 1\tVenHw(3a191845-5f86-4e78-8fce-c4cff59f9dab)\n"
    cfg = parse_efibootmgr(dell, path="d", name="d")
    assert cfg.vendor == "dell"
    assert [o.kind for o in cfg.options] == [OptionKind.PXE4, OptionKind.HTTP4]
    hpe = (
        "BootOrder: 000D\nBoot000D* Embedded LOM 1 Port 1 : HPE Ethernet 1Gb 4-port 369i Adapter - NIC (HTTP(S) IPv6)"
        "\tPciRoot(0x0)/Pci(0x1c,0x4)/Pci(0x0,0x0)/MAC(9440c9a1b2c0,1)/IPv6([::]:<->[::]:,0,0)/Uri()\n"
        "Boot0012* Generic USB Boot\tUsbClass(0xffff,0xffff,0xff,0xff,0xff)\n"
    )
    cfg = parse_efibootmgr(hpe, path="h", name="h")
    assert cfg.vendor == "hpe"
    assert [o.kind for o in cfg.options] == [OptionKind.HTTP6, OptionKind.REMOVABLE]


def test_lower_case_hex_and_extra_headers() -> None:
    text = "BootCurrent: 000b\nBootOptionSupport: 0x303\nBootOrder: 000b,0001\n"
    text += "Boot000b* debian\tHD(1,GPT,c0ffee00-1111-2222-3333-444455556666,0x800,0x100000)/File(\\EFI\\x.efi)\n"
    cfg = parse_efibootmgr(text, path="x", name="x")
    assert cfg.boot_order == (0xB, 1)
    assert cfg.boot_current == 0xB


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("BootOrder: 0001,XYZ1\n", 1, "not a 4-digit hex"),
        ("BootCurrent: 0001\nTimeout: soon\n", 2, "not a number of seconds"),
        ("BootOrder: 0001\nBoot0001* a\tHD()\nBoot0001* b\n", 3, "listed twice"),
        ("BootOrder: 0001\n\nthis is not efibootmgr output\n", 3, "unexpected line"),
        ("BootNext: 0001,0002\n", 1, "must name one option"),
        ("hello\n", 1, "unexpected line"),
        ("", None, "no efibootmgr output"),
    ],
)
def test_errors_carry_line_numbers(text: str, line: int | None, words: str) -> None:
    with pytest.raises(BootDumpError) as info:
        parse_efibootmgr(text, path="bad.txt", name="bad")
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith("bad.txt" + (f":{line}" if line else ""))


def test_split_path_and_optional_data() -> None:
    assert split_path_and_data("PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400000001,1)N.....YM....R,Y.") == (
        "PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400000001,1)",
        "N.....YM....R,Y.",
    )
    assert split_path_and_data("VenMedia(5023b95c-db26-429b-a648-bd47664c8012)..BO") == (
        "VenMedia(5023b95c-db26-429b-a648-bd47664c8012)",
        "..BO",
    )
    path, rest = split_path_and_data("ACPI(a0341d0,0)PCI(1c,2)MAC(f07959de54bb,0)IPv4(0.0.0.0:0<->0.0.0.0:0,0, 0..")
    assert "IPv4(" in path and rest == ""


def test_example_dumps_all_parse(example_boot) -> None:  # type: ignore[no-untyped-def]
    for name in ("web-01", "web-02", "db-01", "smc-01"):
        cfg = parse_efibootmgr((example_boot / f"{name}.efibootmgr.txt").read_text(), path=name, name=name)
        assert cfg.options and cfg.boot_order
