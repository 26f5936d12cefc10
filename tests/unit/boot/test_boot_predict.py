from __future__ import annotations

import pytest

from ferry.boot import BootConfig, BootOption, NicFact, OptionKind, Outcome, TimingModel, predict
from ferry.boot._timing import EDK2_FAILURE_S

MAC1, MAC2 = "52:54:00:00:00:01", "52:54:00:00:00:02"


def _opt(oid: int, kind: OptionKind, mac: str | None = None, active: bool = True, desc: str = "") -> BootOption:
    return BootOption(oid, desc or f"{kind.value} {mac}", active, kind, mac=mac)


def _cfg(options: list[BootOption], order: tuple[int, ...], **kw) -> BootConfig:  # type: ignore[no-untyped-def]
    return BootConfig("srv", "x", "efibootmgr", order, tuple(options), **kw)


NIC1_ALL = [
    _opt(1, OptionKind.NIC_ROM, MAC1),
    _opt(2, OptionKind.PXE4, MAC1),
    _opt(3, OptionKind.PXE6, MAC1),
    _opt(4, OptionKind.HTTP4, MAC1),
    _opt(5, OptionKind.HTTP6, MAC1),
]


def test_edk2_defaults_match_the_measurements() -> None:
    # reference 4.3: one NIC with all four protocols and an iPXE ROM costs about 276 s (4.6 min)
    per_nic = sum(EDK2_FAILURE_S[o.kind] for o in NIC1_ALL)
    assert per_nic == pytest.approx(276, rel=0.05)
    assert EDK2_FAILURE_S[OptionKind.PXE4] == 60.0


def test_worst_case_walks_every_network_option_then_boots_the_disk() -> None:
    disk = _opt(16, OptionKind.DISK, desc="debian")
    cfg = _cfg([*NIC1_ALL, disk], (1, 2, 3, 4, 5, 16))
    p = predict(cfg)
    assert [a.outcome for a in p.attempts] == [Outcome.FAIL] * 5 + [Outcome.SUCCESS]
    assert p.total_s == pytest.approx(20 + 60 + 69 + 61.5 + 64 + 1)
    assert p.boots and p.winner is not None and p.winner.ref == "Boot0010"
    assert p.wasted_s == pytest.approx(274.5)


def test_post_time_is_added() -> None:
    cfg = _cfg([_opt(16, OptionKind.DISK, desc="d")], (16,))
    assert predict(cfg, TimingModel(post_s=90)).total_s == pytest.approx(91)


def test_inactive_missing_app_and_disabled_kinds_cost_nothing() -> None:
    options = [
        _opt(0, OptionKind.APP, desc="UiApp"),
        _opt(2, OptionKind.PXE4, MAC1, active=False),
        _opt(3, OptionKind.PXE6, MAC1),
        _opt(16, OptionKind.DISK, desc="d"),
    ]
    cfg = _cfg(options, (0, 2, 9, 3, 16), disabled=frozenset({"pxe6"}))
    p = predict(cfg)
    assert [a.outcome for a in p.attempts] == [
        Outcome.SKIPPED,
        Outcome.SKIPPED,
        Outcome.MISSING,
        Outcome.DISABLED,
        Outcome.SUCCESS,
    ]
    assert p.total_s == pytest.approx(1.0)


def test_shell_stops_the_boot() -> None:
    cfg = _cfg(
        [
            _opt(2, OptionKind.PXE4, MAC1),
            _opt(11, OptionKind.SHELL, desc="EFI Internal Shell"),
            _opt(16, OptionKind.DISK, desc="d"),
        ],
        (2, 11, 16),
    )
    p = predict(cfg)
    assert p.attempts[-1].outcome is Outcome.STOP
    assert not p.boots
    assert p.total_s == pytest.approx(60)


def test_boot_next_goes_first_even_when_inactive() -> None:
    cfg = _cfg([_opt(2, OptionKind.PXE4, MAC1, active=False), _opt(16, OptionKind.DISK, desc="d")], (16,), boot_next=2)
    p = predict(cfg)
    assert [a.ref for a in p.attempts] == ["Boot0002", "Boot0010"]
    assert p.total_s == pytest.approx(61)


def test_facts_decide_success_and_fast_failures() -> None:
    nics = (
        NicFact(MAC1, link=False),
        NicFact(MAC2, link=True, provisioning=True, dhcp=True, family="ipv4", protocol="pxe"),
    )
    options = [
        _opt(2, OptionKind.PXE4, MAC1),
        _opt(3, OptionKind.HTTP4, MAC2),
        _opt(7, OptionKind.PXE4, MAC2),
        _opt(16, OptionKind.DISK, desc="d"),
    ]
    cfg = _cfg(options, (2, 3, 7, 16), nics=nics)
    steady_worst = predict(cfg, scenario="worst", mode="steady")
    assert steady_worst.total_s == pytest.approx(60 + 61.5 + 60 + 1)  # provisioning service assumed down
    expected = predict(cfg, scenario="expected", mode="steady")
    assert [a.outcome for a in expected.attempts] == [Outcome.FAIL, Outcome.FAIL, Outcome.SUCCESS]
    assert expected.total_s == pytest.approx(3 + 61.5 + 3.2)
    prov_worst = predict(cfg, scenario="worst", mode="provisioning")
    assert prov_worst.winner is not None and prov_worst.winner.ref == "Boot0007"
    assert prov_worst.total_s == pytest.approx(60 + 61.5 + 3.2)


def test_provisioning_mode_treats_the_disk_as_blank() -> None:
    cfg = _cfg([_opt(16, OptionKind.DISK, desc="d"), _opt(2, OptionKind.PXE4, MAC1)], (16, 2))
    p = predict(cfg, mode="provisioning")
    assert not p.boots
    assert p.total_s == pytest.approx(1 + 60)


def test_vendor_retries_and_waits_multiply_network_attempts() -> None:
    cfg = _cfg(
        [_opt(2, OptionKind.PXE4, MAC1), _opt(16, OptionKind.DISK, desc="d")], (2, 16), retry_count=20, attempt_wait_s=5
    )
    assert predict(cfg).total_s == pytest.approx((60 + 5) * 21 + 1)


def test_unavailable_disk_fails() -> None:
    cfg = _cfg([_opt(0, OptionKind.DISK, desc="Unavailable: Windows Boot Manager")], (0,))
    assert not predict(cfg).boots


def test_bad_arguments() -> None:
    cfg = _cfg([], ())
    with pytest.raises(ValueError, match="scenario"):
        predict(cfg, scenario="best")
    with pytest.raises(ValueError, match="mode"):
        predict(cfg, mode="weekend")
