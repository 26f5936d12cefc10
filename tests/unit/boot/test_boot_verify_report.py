from __future__ import annotations

from pathlib import Path

from ferry.boot import BootConfig, BootOption, OptionKind, parse_redfish, predict
from ferry.boot._serial import MeasuredAttempt, SerialTimeline
from ferry.boot._verify import RunReport, VerifyReport


def _prediction():  # type: ignore[no-untyped-def]
    cfg = BootConfig("q", "x", "edk2-varstore", (1,), (BootOption(1, "p", True, OptionKind.PXE4, mac="m"),))
    return predict(cfg, mode="provisioning")  # nothing answers: 60 s, no boot


def _timeline(phase: float, booted: bool) -> SerialTimeline:
    attempt = MeasuredAttempt(1, OptionKind.PXE4, 10.0, 10.0 + phase, "fail")
    return SerialTimeline((attempt,), 10.0, 10.0 + phase if booted else None, None if booted else 10.0 + phase)


def test_run_report_tolerance_and_outcome() -> None:
    prediction = _prediction()
    assert prediction.total_s == 60.0 and not prediction.boots
    within = RunReport("before", prediction, _timeline(66.0, booted=False), 0.15)
    assert within.ok and round(within.error or 0, 3) == 0.091
    outside = RunReport("before", prediction, _timeline(80.0, booted=False), 0.15)
    assert not outside.ok
    wrong_outcome = RunReport("before", prediction, _timeline(60.0, booted=True), 0.15)
    assert not wrong_outcome.ok  # it booted although nothing should have
    data = within.to_dict()
    assert data["measured_s"] == 66.0 and data["post_s"] == 10.0 and data["error_pct"] == 9.1
    never = RunReport("x", prediction, SerialTimeline((), None, None, None), 0.15)
    assert not never.ok and never.to_dict()["measured_s"] is None


def test_verify_report_needs_every_run_ok() -> None:
    prediction = _prediction()
    cfg = BootConfig("q", "x", "edk2-varstore", (), ())
    good = RunReport("before", prediction, _timeline(61.0, booted=False), 0.15)
    bad = RunReport("after", prediction, _timeline(90.0, booted=False), 0.15)
    assert VerifyReport(cfg, None, (good,), 0.15, "tcg").ok
    assert not VerifyReport(cfg, None, (good, bad), 0.15, "tcg").ok
    assert not VerifyReport(cfg, None, (), 0.15, "tcg").ok
    assert VerifyReport(cfg, None, (good,), 0.15, "tcg", load_per_cpu=3.2).to_dict()["host_load_per_cpu"] == 3.2


def test_redfish_options_carry_their_lines(example_boot: Path) -> None:
    path = example_boot / "hpe-01.redfish.json"
    text = path.read_text()
    cfg = parse_redfish(text, path=str(path))
    option = cfg.option(0x11)
    assert option is not None and option.line is not None
    assert '"BootOptionReference": "Boot0011"' in text.splitlines()[option.line - 1]


def test_firmware_drift_is_read_back_from_nvram(tmp_path: Path) -> None:
    from ferry.boot import encode_device_path, parse_varstore
    from ferry.boot._efivar import EFI_GLOBAL_GUID, LoadOption, encode_boot_order, encode_load_option
    from ferry.boot._varstore import VarStore
    from ferry.boot._verify import _firmware_drift

    template = VarStore.parse(Path("/usr/share/OVMF/OVMF_VARS_4M.fd").read_bytes())
    path = "PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400000001,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)"

    def image(active: bool) -> bytes:
        opt = encode_load_option(LoadOption(int(active), "UEFI PXEv4 (MAC:525400000001)", encode_device_path(path)))
        return template.replace(
            {("Boot0001", EFI_GLOBAL_GUID): (7, opt), ("BootOrder", EFI_GLOBAL_GUID): (7, encode_boot_order((1,)))}
        )

    written = parse_varstore(image(False), path="w", name="q")
    vars_file = tmp_path / "after.vars.fd"
    vars_file.write_bytes(image(True))  # the firmware re-activated the option during the boot
    drift = _firmware_drift(written, vars_file)
    assert drift is not None and [o.ref for o in drift.activated] == ["Boot0001"]
    vars_file.write_bytes(b"not nvram")
    assert _firmware_drift(written, vars_file) is None
