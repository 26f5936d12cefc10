from __future__ import annotations

from pathlib import Path

import pytest

from ferry.boot import BootDumpError, OptionKind, decode_device_path, encode_device_path, parse_efivarfs, parse_varstore
from ferry.boot._efivar import (
    EFI_GLOBAL_GUID,
    EfiVarError,
    LoadOption,
    decode_boot_order,
    decode_load_option,
    encode_boot_order,
    encode_efivarfs_file,
    encode_load_option,
)
from ferry.boot._varstore import VarStore, VarStoreError, apply_plan_to_image

OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")

PATHS = [
    "PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400000001,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)",
    "PciRoot(0x0)/Pci(0x2,0x0)/MAC(525400000002,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri(http://192.0.2.10/a.efi)",
    "HD(1,GPT,c0ffee00-1111-2222-3333-444455556666,0x800,0x100000)/File(\\EFI\\debian\\shimx64.efi)",
    "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(7c04a583-9e3e-4f1c-ad65-e05268d0b4d1)",
    "UsbClass(0xffff,0xffff,0xff,0xff,0xff)",
]


@pytest.mark.parametrize("text", PATHS)
def test_device_path_round_trip(text: str) -> None:
    assert decode_device_path(encode_device_path(text)) == text


def test_ipv6_node_decodes_in_edk2_spelling() -> None:
    text = decode_device_path(
        encode_device_path("PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400000001,1)/IPv6([::]:<->[::]:,0,0)")
    )
    assert text.endswith(
        "/IPv6(0000:0000:0000:0000:0000:0000:0000:0000,0x0,Static,0000:0000:0000:0000:0000:0000:0000:0000,0x40,0000:0000:0000:0000:0000:0000:0000:0000)"
    )


@pytest.mark.parametrize("blob", [b"\x01\x01", b"\x01\x01\x09\x00\x00", b"\x01\x01\x02\x00"])
def test_truncated_device_paths_are_errors(blob: bytes) -> None:
    from ferry.boot._devpath import DevicePathError

    with pytest.raises(DevicePathError):
        decode_device_path(blob)


def test_load_option_round_trip_and_active_bit() -> None:
    opt = LoadOption(
        0x1,
        "UEFI PXEv4 (MAC:525400000001)",
        encode_device_path(PATHS[0]),
        bytes.fromhex("4eac0881119f594d850ee21a522c59b2"),
    )
    blob = encode_load_option(opt)
    back = decode_load_option(blob)
    assert back == opt
    assert back.with_active(False).attributes == 0 and back.with_active(False).with_active(True).active


@pytest.mark.parametrize("blob", [b"", b"\x01\x00\x00\x00\x04\x00A\x00", b"\x01\x00\x00\x00\xff\x00A\x00\x00\x00"])
def test_bad_load_options(blob: bytes) -> None:
    with pytest.raises(EfiVarError):
        decode_load_option(blob)


def _files(options: dict[int, tuple[bool, str, str]], order: tuple[int, ...]) -> dict[str, bytes]:
    files = {f"BootOrder-{EFI_GLOBAL_GUID}": encode_efivarfs_file(encode_boot_order(order))}
    for oid, (active, desc, path) in options.items():
        blob = encode_load_option(LoadOption(int(active), desc, encode_device_path(path)))
        files[f"Boot{oid:04X}-{EFI_GLOBAL_GUID}"] = encode_efivarfs_file(blob)
    files["SomethingElse-12345678-1234-1234-1234-123456789abc"] = b"\x07\x00\x00\x00zz"
    return files


def test_efivarfs_mapping_parses() -> None:
    files = _files({1: (True, "UEFI PXEv4 (MAC:525400000001)", PATHS[0]), 5: (False, "debian", PATHS[2])}, (5, 1))
    cfg = parse_efivarfs(files, path="/x", name="srv")
    assert cfg.form == "efivarfs"
    assert cfg.boot_order == (5, 1)
    assert [(o.ref, o.kind, o.active) for o in cfg.options] == [
        ("Boot0001", OptionKind.PXE4, True),
        ("Boot0005", OptionKind.DISK, False),
    ]
    assert cfg.options[0].mac == "52:54:00:00:00:01"


def test_efivarfs_errors_name_the_file() -> None:
    files = _files({1: (True, "x", PATHS[0])}, (1,))
    files[f"Boot0001-{EFI_GLOBAL_GUID}"] = b"\x07\x00\x00\x00\x01\x00"
    with pytest.raises(BootDumpError, match=r"/x/Boot0001-8be4df61.*shorter"):
        parse_efivarfs(files, path="/x", name="srv")
    files[f"BootOrder-{EFI_GLOBAL_GUID}"] = b"\x07\x00\x00\x00\x01\x00\x02"
    files.pop(f"Boot0001-{EFI_GLOBAL_GUID}")
    with pytest.raises(BootDumpError, match="odd length"):
        parse_efivarfs(files, path="/x", name="srv")
    with pytest.raises(BootDumpError, match="no BootOrder"):
        parse_efivarfs({}, path="/empty", name="srv")


def test_varstore_add_read_rewrite() -> None:
    image = OVMF_VARS.read_bytes()
    store = VarStore.parse(image)
    with pytest.raises(BootDumpError):
        parse_varstore(image, path="fresh.fd", name="q")  # a fresh NVRAM has no boot variables yet
    opt1 = encode_load_option(LoadOption(1, "UEFI PXEv4 (MAC:525400000001)", encode_device_path(PATHS[0])))
    opt2 = encode_load_option(LoadOption(1, "UEFI HTTPv4 (MAC:525400000002)", encode_device_path(PATHS[1])))
    new = store.replace(
        {
            ("Boot0001", EFI_GLOBAL_GUID): (7, opt1),
            ("Boot0002", EFI_GLOBAL_GUID): (7, opt2),
            ("BootOrder", EFI_GLOBAL_GUID): (7, encode_boot_order((1, 2))),
        }
    )
    assert len(new) == len(image)
    cfg = parse_varstore(new, path="v.fd", name="q")
    assert cfg.form == "edk2-varstore" and cfg.boot_order == (1, 2)
    planned = apply_plan_to_image(new, (2, 1), (1,), (), 2, False)
    after = parse_varstore(planned, path="v.fd", name="q")
    assert after.boot_order == (2, 1)
    assert after.boot_next == 2
    assert [o.active for o in after.options] == [False, True]
    assert decode_boot_order(VarStore.parse(planned).get("BootOrder", EFI_GLOBAL_GUID).data) == (2, 1)  # type: ignore[union-attr]
    with pytest.raises(VarStoreError, match="not in the variable store"):
        apply_plan_to_image(new, (1,), (9,), (), None, False)


def test_varstore_rejects_other_files() -> None:
    with pytest.raises(VarStoreError):
        VarStore.parse(b"\x00" * 4096)
    with pytest.raises(BootDumpError):
        parse_varstore(b"\x00" * 64, path="tiny.fd", name="q")
