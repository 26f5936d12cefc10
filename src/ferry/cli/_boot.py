"""``ferry boot``: UEFI boot order audit and repair — audit, plan, diff, apply, verify."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ferry._kernel import atomic_write_text
from ferry.cli._output import console, emit_json, format_option
from ferry.errors import FindingsError, InputError, UsageError

if TYPE_CHECKING:
    from ferry.boot import BootConfig, FleetAudit, NicFact, Plan, TimingModel

__all__ = ["boot"]

_SEV_STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "info": "cyan"}


@click.group()
def boot() -> None:
    """UEFI boot order audit and repair: predict boot time, plan the fix, apply it, verify it under QEMU + OVMF."""


def _timing(post_s: float) -> TimingModel:
    from ferry.boot import TimingModel

    return TimingModel(post_s=post_s)


def _load(paths: tuple[str, ...]) -> tuple[list[BootConfig], list[str]]:
    from ferry.boot import load_fleet

    fleet = load_fleet(paths)
    return list(fleet.configs), [str(e) for e in fleet.errors]


def _wide() -> Any:
    """A console that never wraps long lines (commands and scripts must stay copy-pasteable)."""
    out = console()
    out.soft_wrap = True
    return out


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


@boot.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@format_option()
@click.option(
    "--mode",
    type=click.Choice(["steady", "provisioning"]),
    default="steady",
    show_default=True,
    help="What the disks hold: an installed OS (steady) or nothing yet (provisioning).",
)
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False), help="Write the fleet chart as SVG.")
@click.option(
    "--reboots",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Reboots per firmware update (per-update worst case = this x per-boot worst case).",
)
@click.option(
    "--post-seconds",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Firmware start-up time to add to every prediction.",
)
@click.option("--top", type=click.IntRange(1), default=5, show_default=True, help="Worst offenders listed (text).")
@click.option(
    "--fail-on",
    type=click.Choice(["never", "at-risk", "warning", "error", "critical"]),
    default="at-risk",
    show_default=True,
    help="Exit 1 when a server is at risk / has a finding this severe.",
)
def audit(
    paths: tuple[str, ...],
    output_format: str,
    mode: str,
    svg_file: str | None,
    reboots: int,
    post_seconds: float,
    top: int,
    fail_on: str,
) -> None:
    """Predict every server's time to boot and say what is wrong.

    PATHS: efibootmgr -v dumps (any version), efivarfs directories, OVMF VARS images, Redfish JSON, Dell/HPE/
    Supermicro BIOS attribute JSON and inventory.yaml NIC facts, or directories of them.
    """
    from ferry._kernel import Severity
    from ferry.boot import audit_fleet

    configs, errors = _load(paths)
    report = audit_fleet(configs, _timing(post_seconds), mode=mode, reboots=reboots)
    if svg_file:
        atomic_write_text(svg_file, report.chart_svg())
    if output_format == "json":
        emit_json({**report.to_dict(), "errors": errors})
    else:
        _print_audit(report, errors, top, svg_file)
    if errors:
        raise InputError(f"{len(errors)} dump(s) could not be read; the others were audited", where=errors[0])
    if fail_on == "at-risk" and report.at_risk:
        names = ", ".join(s.config.name for s in report.at_risk)
        raise FindingsError(f"{len(report.at_risk)} server(s) at risk: {names}", hint="ferry boot plan PATH")
    if fail_on not in ("never", "at-risk"):
        threshold = Severity.parse(fail_on)
        bad = [s.config.name for s in report.servers if s.severity is not None and s.severity.rank >= threshold.rank]
        if bad:
            raise FindingsError(f"{len(bad)} server(s) with {fail_on} findings or worse: {', '.join(bad)}")


def _print_audit(report: FleetAudit, errors: list[str], top: int, svg_file: str | None) -> None:
    from rich.table import Table

    out = console()
    table = Table(title=f"ferry boot audit — {len(report.servers)} servers ({report.mode})", title_justify="left")
    for column in ("server", "form", "vendor", "active/options", "worst", "expected", "at risk", "worst finding"):
        table.add_column(column, justify="right" if column in ("worst", "expected") else "left")
    for s in sorted(report.servers, key=lambda s: -s.worst.total_s):
        cfg = s.config
        active = sum(1 for o in cfg.options if o.active)
        sev = s.severity.value if s.severity else ""
        worst_finding = max(s.findings, key=lambda f: f.severity.rank).code if s.findings else ""
        table.add_row(
            cfg.name,
            cfg.form,
            cfg.vendor,
            f"{active}/{len(cfg.options)}",
            _minutes(s.worst.total_s),
            _minutes(s.expected.total_s),
            "[bold red]yes[/]" if s.at_risk else "no",
            f"[{_SEV_STYLE.get(sev, '')}]{worst_finding}[/]" if sev else "",
        )
    out.print(table)
    summary = report.summary()
    out.print(
        f"fleet worst case {_minutes(report.worst_s)} ({summary['fleet_worst_server']}), "
        f"{summary['at_risk']} at risk; per firmware update ({report.reboots} reboot(s)): "
        f"{_minutes(summary['worst_per_update_s'])}"
    )
    out.print("[bold]worst offenders[/bold]")
    for s in report.worst_offenders(top):
        out.print(f"  {s.config.name}: {_minutes(s.worst.total_s)}")
        for f in sorted(s.findings, key=lambda f: -f.severity.rank)[:3]:
            out.print(
                f"    [{_SEV_STYLE[f.severity.value]}]{f.severity.value:8}[/] {f.code}: {f.message}", soft_wrap=True
            )
    for error in errors:
        out.print(f"[red]error[/] {error}", soft_wrap=True)
    if svg_file:
        out.print(f"chart written to {svg_file}")


def _nic_override(nic: str | None, family: str, protocol: str) -> NicFact | None:
    if nic is None:
        return None
    from ferry.boot import NicFact
    from ferry.boot._model import normalize_mac

    return NicFact(normalize_mac(nic) or nic, link=True, provisioning=True, dhcp=True, family=family, protocol=protocol)


_nic_options = [
    click.option("--nic", help="The provisioning NIC (MAC or vendor NIC name); overrides inventory.yaml."),
    click.option(
        "--family",
        type=click.Choice(["ipv4", "ipv6"]),
        default="ipv4",
        show_default=True,
        help="IP family the provisioning network serves (with --nic).",
    ),
    click.option(
        "--protocol",
        type=click.Choice(["pxe", "http"]),
        default="pxe",
        show_default=True,
        help="Protocol the provisioning network serves (with --nic).",
    ),
]


def _with_nic_options(func: Any) -> Any:
    for option in reversed(_nic_options):
        func = option(func)
    return func


def _artifacts(plan: Plan, system: str, ipxe_url: str | None) -> dict[str, Any]:
    from ferry.boot import efibootmgr_script, ipxe_script, redfish_requests

    out: dict[str, Any] = {"efibootmgr": efibootmgr_script(plan), "redfish": redfish_requests(plan, system=system)}
    if plan.provisioning_nic is not None and plan.network_option is not None:
        out["ipxe"] = ipxe_script(plan, url=ipxe_url)
    return out


@boot.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--mode",
    type=click.Choice(["provisioning", "steady", "once"]),
    default="steady",
    show_default=True,
    help="provisioning: the working NIC first; steady: disk first, network fallback; once: steady + BootNext.",
)
@_with_nic_options
@click.option("--server", "servers", multiple=True, help="Plan only these servers (repeatable).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write <server>.efibootmgr.sh, .redfish.json, .ipxe here.",
)
@click.option("--system", default="1", show_default=True, help="Redfish system id for the PATCH paths.")
@click.option("--ipxe-url", help="What the iPXE script chains once the NIC is up (default: the DHCP boot file).")
@format_option()
def plan(
    paths: tuple[str, ...],
    mode: str,
    nic: str | None,
    family: str,
    protocol: str,
    servers: tuple[str, ...],
    out_dir: str | None,
    system: str,
    ipxe_url: str | None,
    output_format: str,
) -> None:
    """Plan the fix for each server: order, deactivations, BootNext, BIOS switches — and emit it."""
    from ferry.boot import make_plan

    configs, errors = _load(paths)
    if errors:
        raise UsageError(errors[0], hint=f"{len(errors)} dump(s) could not be read")
    if servers:
        configs = [c for c in configs if c.name in servers]
    if not configs:
        raise UsageError("no server to plan", hint="check PATHS and --server")
    override = _nic_override(nic, family, protocol)
    results = []
    for config in configs:
        p = make_plan(config, mode, nic=override)
        artifacts = _artifacts(p, system, ipxe_url)
        results.append({**p.to_dict(), "artifacts": artifacts})
        if out_dir:
            base = Path(out_dir)
            atomic_write_text(base / f"{p.server}.efibootmgr.sh", artifacts["efibootmgr"], mode=0o755)
            atomic_write_text(base / f"{p.server}.redfish.json", json.dumps(artifacts["redfish"], indent=2) + "\n")
            if "ipxe" in artifacts:
                atomic_write_text(base / f"{p.server}.ipxe", artifacts["ipxe"])
    if output_format == "json":
        emit_json({"plans": results})
        return
    out = _wide()
    for r in results:
        pred = r["predicted"]
        out.print(
            f"[bold]{r['server']}[/bold] ({r['mode']}): worst {_minutes(pred['before_worst_s'])} -> "
            f"{_minutes(pred['after_worst_s'])}; order {','.join(r['boot_order'])}"
        )
        if r["deactivate"]:
            out.print(f"  deactivate {', '.join(r['deactivate'])}")
        if r["boot_next"]:
            out.print(f"  BootNext {r['boot_next']}")
        for key, value in r["bios_attributes"].items():
            out.print(f"  BIOS {key} = {value}")
        for note in r["notes"]:
            out.print(f"  note: {note}")
        if not out_dir:
            out.print(r["artifacts"]["efibootmgr"], markup=False, highlight=False, soft_wrap=True)
    if out_dir:
        out.print(f"artifacts written to {out_dir}")


@boot.command()
@click.argument("before", type=click.Path(exists=True))
@click.argument("after", type=click.Path(exists=True))
@click.option("--inventory", type=click.Path(exists=True, dir_okay=False), help="inventory.yaml with NIC facts.")
@click.option(
    "--replan",
    type=click.Choice(["provisioning", "steady", "once"]),
    default="steady",
    show_default=True,
    help="Re-plan the 'after' dump in this mode.",
)
@_with_nic_options
@format_option()
def diff(
    before: str,
    after: str,
    inventory: str | None,
    replan: str,
    nic: str | None,
    family: str,
    protocol: str,
    output_format: str,
) -> None:
    """Compare two dumps of one server (before/after a firmware update) and re-plan. Exit 1 on a regression."""
    from ferry.boot import BootPlanError, diff_configs, load_dump, make_plan
    from ferry.boot._facts import parse_inventory

    old = load_dump(before)
    new = load_dump(after, name=old.name)
    if inventory:
        facts = parse_inventory(Path(inventory).read_text(encoding="utf-8"), path=inventory).get(old.name, ())
        old, new = old.with_facts(facts), new.with_facts(facts)
    result = diff_configs(old, new)
    data: dict[str, Any] = result.to_dict()
    try:
        p = make_plan(new, replan, nic=_nic_override(nic, family, protocol))
        data["plan"] = {**p.to_dict(), "artifacts": _artifacts(p, "1", None)}
    except BootPlanError as exc:
        data["plan"] = None
        data["plan_error"] = str(exc)
    if output_format == "json":
        emit_json(data)
    else:
        out = _wide()
        out.print(
            f"[bold]{result.server}[/bold]: {'changed' if result.changed else 'unchanged'}"
            + (" — [red]regressed[/]" if result.regressed else "")
        )
        out.print(f"  worst case {_minutes(result.worst_before_s)} -> {_minutes(result.worst_after_s)}")
        for label, items in (("added", result.added), ("removed", result.removed)):
            for o in items:
                out.print(f"  {label} {o.ref} {o.kind.value} {o.description}")
        for a, b in result.renumbered:
            out.print(f"  renumbered {a.ref} -> {b.ref} ({b.kind.value})")
        for o in result.activated:
            out.print(f"  activated {o.ref} {o.description}")
        if result.order_changed:
            out.print(f"  order: {' > '.join(result.order_before)}\n      -> {' > '.join(result.order_after)}")
        if data.get("plan"):
            out.print(data["plan"]["artifacts"]["efibootmgr"], markup=False, highlight=False, soft_wrap=True)
        elif data.get("plan_error"):
            out.print(f"  no plan: {data['plan_error']}")
    if result.regressed:
        raise FindingsError(
            f"{result.server}: the worst case grew from {_minutes(result.worst_before_s)} to "
            f"{_minutes(result.worst_after_s)}",
            hint="apply the re-plan",
        )


@boot.command()
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--mode", type=click.Choice(["provisioning", "steady", "once"]), default="steady", show_default=True)
@_with_nic_options
@click.option("--inventory", type=click.Path(exists=True, dir_okay=False), help="inventory.yaml with NIC facts.")
@click.option(
    "--efivars",
    "efivars_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Apply to this efivarfs-style directory (writes the variables).",
)
@click.option(
    "--efibootmgr",
    "use_efibootmgr",
    is_flag=True,
    help="Apply by running efibootmgr (on this host, or on --efivars through EFIVARFS_PATH).",
)
@click.option("--redfish", "redfish_url", help="Apply through this Redfish service (https://bmc).")
@click.option("--system", help="Redfish system id (default: the first system).")
@click.option("--user", "username", help="Redfish user; the password is read from FERRY_REDFISH_PASSWORD.")
@click.option(
    "--cacert", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify the BMC's certificate."
)
@click.option("--insecure", is_flag=True, help="Do not verify the BMC's certificate (lab only).")
@click.option("--reset", is_flag=True, help="Redfish: restart the system so pending settings apply, then check.")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@format_option()
def apply(
    path: str | None,
    mode: str,
    nic: str | None,
    family: str,
    protocol: str,
    inventory: str | None,
    efivars_dir: str | None,
    use_efibootmgr: bool,
    redfish_url: str | None,
    system: str | None,
    username: str | None,
    cacert: str | None,
    insecure: bool,
    reset: bool,
    dry_run: bool,
    output_format: str,
) -> None:
    """Plan and apply the fix to one server: an efivarfs directory, efibootmgr, or Redfish over HTTPS.

    The current state is read from the target itself (the directory, the Redfish service) unless PATH names a dump.
    """
    from ferry.boot import (
        RedfishClient,
        apply_efibootmgr,
        apply_efivarfs,
        apply_redfish,
        load_dump,
        make_plan,
        read_efivarfs,
    )
    from ferry.boot._facts import parse_inventory

    targets = sum(bool(t) for t in (efivars_dir and not use_efibootmgr, use_efibootmgr, redfish_url))
    if targets != 1:
        raise UsageError("name one target: --efivars DIR, --efibootmgr [--efivars DIR] or --redfish URL")
    client = None
    if redfish_url:
        password = os.environ.get("FERRY_REDFISH_PASSWORD")
        client = RedfishClient(redfish_url, username=username, password=password, cafile=cacert, insecure=insecure)
        config = load_dump(path) if path else client.fetch_config(system)
    elif path:
        config = load_dump(path)
    elif efivars_dir:
        config = read_efivarfs(efivars_dir)
    else:
        raise UsageError("with --efibootmgr on this host, give PATH (a dump of 'efibootmgr -v')")
    if inventory:
        facts = parse_inventory(Path(inventory).read_text(encoding="utf-8"), path=inventory).get(config.name, ())
        config = config.with_facts(facts)
    p = make_plan(config, mode, nic=_nic_override(nic, family, protocol))
    result: dict[str, Any] = {"plan": p.to_dict(), "applied": False}
    if not dry_run:
        if client is not None:
            applied = apply_redfish(p, client, system=system, reset=reset)
        elif use_efibootmgr:
            applied = apply_efibootmgr(p, efivars_dir)
        else:
            assert efivars_dir is not None
            applied = apply_efivarfs(p, efivars_dir)
        result.update(
            applied=True,
            target=applied.target,
            written=list(applied.written),
            boot_order=[f"Boot{i:04X}" for i in applied.config.boot_order],
        )
    if output_format == "json":
        emit_json(result)
        return
    out = _wide()
    pred = p.to_dict()["predicted"]
    out.print(
        f"[bold]{p.server}[/bold] ({mode}): worst {_minutes(pred['before_worst_s'])} -> "
        f"{_minutes(pred['after_worst_s'])}"
    )
    if result["applied"]:
        out.print(f"applied to {result['target']}: {', '.join(result['written'])}")
        out.print(f"BootOrder now {','.join(result['boot_order'])}")
    else:
        out.print("dry run: nothing changed")


def _order_spec(text: str | None) -> list[tuple[int, Any]] | None:
    if not text:
        return None
    from ferry.boot import OptionKind

    spec = []
    for part in text.split(","):
        index, _, kind = part.strip().partition(":")
        try:
            spec.append((int(index), OptionKind(kind)))
        except ValueError:
            raise UsageError(f"--order entry {part!r} is not NIC:KIND (e.g. 0:pxe4)") from None
    return spec


@boot.command()
@click.option("--qemu", "use_qemu", is_flag=True, required=True, help="Boot OVMF under QEMU (the one emulator).")
@click.option("--nics", type=click.IntRange(1, 8), default=2, show_default=True, help="NICs in the emulated server.")
@click.option(
    "--dhcp-nic",
    type=int,
    default=None,
    help="0-based NIC on which DHCP/TFTP answers (QEMU user networking); none by default.",
)
@click.option(
    "--mode", type=click.Choice(["provisioning", "steady", "once"]), default="provisioning", show_default=True
)
@click.option("--order", "order_text", help="Instead of the plan: keep exactly these options, e.g. 0:pxe4,1:pxe4.")
@click.option("--before/--no-before", default=True, show_default=True, help="Also boot the firmware's own order.")
@click.option("--nic-rom", is_flag=True, help="Load the iPXE EFI option ROM on every NIC (adds a NIC-ROM option).")
@click.option("--no-ipv6-pxe", is_flag=True, help="OVMF switch IPv6PXESupport=no (the vendor knob, emulated).")
@click.option("--tolerance", type=click.FloatRange(0.01, 1.0), default=0.15, show_default=True)
@click.option("--accel", type=click.Choice(["tcg", "kvm"]), default="tcg", show_default=True)
@click.option("--timeout", "timeout_s", type=click.FloatRange(30), default=1800, show_default=True)
@format_option()
def verify(
    use_qemu: bool,
    nics: int,
    dhcp_nic: int | None,
    mode: str,
    order_text: str | None,
    before: bool,
    nic_rom: bool,
    no_ipv6_pxe: bool,
    tolerance: float,
    accel: str,
    timeout_s: float,
    output_format: str,
) -> None:
    """Boot OVMF with N NICs before and after the plan; compare measured with predicted (exit 1 when off)."""
    from ferry.boot import BootVerifyError, verify_qemu

    if accel == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise UsageError("/dev/kvm is not usable here", hint="use --accel tcg")
    err = console(stderr=True)

    def say(message: str) -> None:
        if output_format != "json":
            err.print(message, markup=False, highlight=False, soft_wrap=True)

    report = verify_qemu(
        nics,
        dhcp_nic,
        mode=mode,
        order=_order_spec(order_text),
        before=before,
        nic_rom=nic_rom,
        ipv6_pxe=not no_ipv6_pxe,
        timeout_s=timeout_s,
        tolerance=tolerance,
        accel=accel,
        on_event=say,
    )
    if output_format == "json":
        emit_json(report.to_dict())
    else:
        out = _wide()
        for run in report.to_dict()["runs"]:
            status = "[green]ok[/]" if run["ok"] else "[red]off[/]"
            out.print(
                f"{run['label']:7} predicted {run['predicted_s']:7.1f} s  measured {run['measured_s']} s  "
                f"error {run['error_pct']} %  booted {run['booted']}  POST {run['post_s']} s  {status}"
            )
            for a in run["measured_attempts"]:
                out.print(f"          {a['id']} {a['kind']} {a['outcome']} {a['seconds']} s {a['detail']}")
        for note in report.notes:
            out.print(f"note: {note}")
    if not report.ok:
        raise BootVerifyError(
            "measured boot times are outside the tolerance of the prediction (or the boot outcome differs)",
            hint="see the runs above (--format json for every attempt)",
        )
