from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferry.boot import BootDumpError, OptionKind, load_dump, parse_bios, parse_redfish


def test_redfish_with_expanded_members(example_boot: Path) -> None:
    path = example_boot / "hpe-01.redfish.json"
    cfg = parse_redfish(path.read_text(), path=str(path))
    assert cfg.name == "hpe-01"
    assert cfg.form == "redfish"
    assert cfg.vendor == "hpe"
    assert [o.kind for o in cfg.options] == [
        OptionKind.HTTP4,
        OptionKind.PXE4,
        OptionKind.HTTP6,
        OptionKind.PXE6,
        OptionKind.DISK,
        OptionKind.REMOVABLE,
    ]
    assert cfg.options[0].mac == "94:40:c9:a1:b2:c0"  # edk2 spelling MAC(9440C9A1B2C0,0x1)
    assert cfg.boot_order[0] == 0xD


def test_redfish_document_with_bios_merges_vendor_knobs(example_boot: Path) -> None:
    cfg = load_dump(example_boot / "hpe-01.redfish.json")
    assert cfg.retry_count == 20
    dell = load_dump(example_boot / "dell-01.redfish.json")
    assert dell.vendor == "dell"
    pxe1 = dell.option(3)
    assert pxe1 is not None and pxe1.kind is OptionKind.PXE4 and pxe1.nic == "NIC.Integrated.1-1-1"
    assert dell.option(4).kind is OptionKind.HTTP4  # type: ignore[union-attr]


def _doc(boot: dict, members: list | None = None) -> str:  # type: ignore[type-arg]
    data: dict = {"ComputerSystem": {"Id": "1", "Boot": boot}}  # type: ignore[type-arg]
    if members is not None:
        data["BootOptions"] = {"Members": members}
    return json.dumps(data, indent=2)


@pytest.mark.parametrize(
    ("text", "words", "key"),
    [
        ('{"ComputerSystem": {"Boot": {"BootOrder": [}}}', "not valid JSON", "ComputerSystem"),
        (_doc({"BootOrder": "Boot0001"}), "not a list", "BootOrder"),
        (_doc({"BootOrder": ["Boot0001", "Disk1"]}), "not a BootOptionReference", "BootOrder"),
        (
            _doc({"BootOrder": []}, [{"BootOptionReference": "Boot0001", "BootOptionEnabled": "yes"}]),
            "not true/false",
            "BootOptionEnabled",
        ),
        (
            _doc({"BootOrder": []}, [{"BootOptionReference": "Boot0001"}, {"BootOptionReference": "Boot0001"}]),
            "twice",
            None,
        ),
        ('{"Name": "x"}', "not a Redfish ComputerSystem", "Name"),
    ],
)
def test_redfish_errors(text: str, words: str, key: str | None) -> None:
    with pytest.raises(BootDumpError) as info:
        parse_redfish(text, path="rf.json", name="rf")
    assert words in str(info.value)
    if key is not None:
        expected = next(n for n, line in enumerate(text.splitlines(), 1) if f'"{key}"' in line)
        assert info.value.line == expected


def test_dell_attributes_with_uefibootseq(example_boot: Path) -> None:
    path = example_boot / "dell-02.bios.json"
    cfg = parse_bios(path.read_text(), path=str(path), name="dell-02")
    assert cfg.form == "dell-bios"
    assert [(o.kind, o.active) for o in cfg.options] == [
        (OptionKind.DISK, True),
        (OptionKind.PXE4, True),
        (OptionKind.PXE4, False),
        (OptionKind.REMOVABLE, True),
    ]
    assert cfg.options[1].nic == "NIC.Integrated.1-1-1"
    assert "assumed-order" not in cfg.attributes


def test_hpe_attributes_alone_assume_network_first() -> None:
    text = json.dumps(
        {
            "Attributes": {
                "NicBoot1": "NetworkBoot",
                "NicBoot2": "Disabled",
                "NetworkBootRetry": "Enabled",
                "NetworkBootRetryCount": 5,
                "PrebootNetworkEnvPolicy": "IPv4",
            }
        }
    )
    cfg = parse_bios(text, path="h.json", name="h")
    assert cfg.vendor == "hpe" and cfg.retry_count == 5
    assert [(o.kind, o.active, o.nic) for o in cfg.options] == [
        (OptionKind.PXE4, True, "NIC 1"),
        (OptionKind.PXE4, False, "NIC 2"),
        (OptionKind.DISK, True, None),
    ]
    assert cfg.attributes["assumed-order"] is True
    assert cfg.disabled == frozenset({"pxe6", "http6"})


def test_supermicro_attributes_strip_numeric_suffixes(example_boot: Path) -> None:
    path = example_boot / "smc-01.bios.json"
    cfg = parse_bios(path.read_text(), path=str(path), name="smc-01")
    assert cfg.vendor == "supermicro"
    assert cfg.attempt_wait_s == 5
    assert cfg.disabled == frozenset({"http4", "http6"})
    assert [o.kind for o in cfg.options] == [OptionKind.PXE4, OptionKind.PXE6, OptionKind.DISK]


def test_supermicro_boot_option_order() -> None:
    attrs = {
        "IPv4PXESupport": "Enabled",
        "IPv6PXESupport": "Disabled",
        "UEFIBootOption#1_00B1": "UEFI Hard Disk:CentOS",
        "UEFIBootOption#2_00B2": "UEFI Network:IBA",
        "UEFIBootOption#3_00B3": "Disabled",
    }
    cfg = parse_bios(json.dumps({"Attributes": attrs}), path="s.json", name="s")
    assert [o.kind for o in cfg.options] == [OptionKind.DISK, OptionKind.PXE4]
    assert "assumed-order" not in cfg.attributes


@pytest.mark.parametrize(
    ("attrs", "words"),
    [
        ({"Foo": "Bar"}, "not a BIOS attribute dump"),
        (
            {"NicBoot1": "NetworkBoot", "NetworkBootRetry": "Enabled", "NetworkBootRetryCount": "many"},
            "not a whole number",
        ),
        ({"UefiBootSeq": 5}, "comma-separated"),
    ],
)
def test_bios_errors(attrs: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BootDumpError, match=words):
        parse_bios(json.dumps({"Attributes": attrs}, indent=1), path="b.json", name="b")
