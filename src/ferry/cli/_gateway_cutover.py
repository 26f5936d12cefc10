"""``ferry gateway cutover``: plan a weighted-DNS cutover and rehearse it on this machine."""

from __future__ import annotations

from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option

__all__ = ["cutover"]


@click.group()
def cutover() -> None:
    """Plan a zero-downtime weighted-DNS cutover from ingress-nginx to Envoy Gateway, and rehearse it."""


@cutover.command()
@click.option(
    "--ingress",
    "files",
    multiple=True,
    type=click.Path(exists=True),
    help="Manifests with the Ingresses (and HTTPRoutes, Gateway) whose hostnames move (repeatable).",
)
@click.option("--host", "hosts", multiple=True, metavar="NAME", help="A hostname to move (repeatable).")
@click.option("--old-target", required=True, help="The ingress-nginx load balancer: IP or DNS name.")
@click.option("--new-target", required=True, help="The Envoy Gateway load balancer: IP or DNS name.")
@click.option("--old-alias-zone", metavar="ZONE", help="Publish the old side as an alias A record to this LB zone.")
@click.option("--new-alias-zone", metavar="ZONE", help="Publish the new side as an alias A record to this LB zone.")
@click.option("--zone-id", metavar="ZONE", help="The Route 53 hosted zone of the hostnames (for the runbook).")
@click.option("--old-set-id", default="ingress-nginx", show_default=True, help="SetIdentifier of the old record.")
@click.option("--new-set-id", default="envoy-gateway", show_default=True, help="SetIdentifier of the new record.")
@click.option("--current-ttl", type=int, default=300, show_default=True, help="The TTL the names have today (s).")
@click.option("--ttl", type=int, default=60, show_default=True, help="The TTL during the cutover (s).")
@click.option("--old-ttl", type=int, help="TTL of the old weighted record, if it must differ (refused).")
@click.option("--new-ttl", type=int, help="TTL of the new weighted record, if it must differ (refused).")
@click.option(
    "--profile",
    type=click.Choice(["cautious", "standard", "fast"]),
    default="standard",
    show_default=True,
    help="Risk profile: the shift steps (cautious 0.4 % → 100 % in 7, standard 5 % → 100 % in 4, fast 2).",
)
@click.option("--steps", type=int, help="Number of shift steps instead of a profile.")
@click.option("--weights", help="Explicit shift steps OLD:NEW,... (for example 242:13,192:64,0:255).")
@click.option("--max-error-rate", type=float, default=0.001, show_default=True, help="Gate: error rate per endpoint.")
@click.option("--max-p99-ms", type=float, default=500.0, show_default=True, help="Gate: p99 latency per endpoint.")
@click.option("--gate-window", type=int, default=300, show_default=True, help="Gate window per step (s).")
@click.option("--hold", type=int, default=0, show_default=True, help="Minimum hold per step (s).")
@click.option("--longest-request", type=int, default=60, show_default=True, help="Longest request or stream (s).")
@click.option("--client-cache", type=int, default=30, show_default=True, help="Client caching beyond TTL (s).")
@click.option("--old-health-check", metavar="ID", help="Route 53 health check of the old record.")
@click.option("--new-health-check", metavar="ID", help="Route 53 health check of the new record.")
@click.option("--gateway", "gateway_ref", metavar="NS/NAME", help="The Gateway that gets the target annotation.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write plan.md, plan.json, the SVG, batches.")
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False), help="Write the timeline chart here.")
@format_option("text", "markdown", "json")
def plan(**options: Any) -> None:
    """Plan the cutover: timeline, Route 53 change batches, external-dns annotations, rollback and draining.

    Unsafe plans (weights outside 0-255, missing or duplicate set-identifiers, differing TTLs, a step where every
    weight is 0) are refused with every reason (exit 2).
    """
    from ferry._kernel import atomic_write_text
    from ferry.gateway._cutover import Gates, PlanRequest, plan_from_objects, plan_markdown, read_objects, timeline_svg

    objects = read_objects(options["files"]) if options["files"] else []
    request = PlanRequest(
        old_target=options["old_target"],
        new_target=options["new_target"],
        hosts=options["hosts"],
        zone_id=options["zone_id"],
        old_alias_zone=options["old_alias_zone"],
        new_alias_zone=options["new_alias_zone"],
        old_set_identifier=options["old_set_id"],
        new_set_identifier=options["new_set_id"],
        current_ttl=options["current_ttl"],
        ttl=options["ttl"],
        old_ttl=options["old_ttl"],
        new_ttl=options["new_ttl"],
        profile=options["profile"],
        steps=options["steps"],
        weights=options["weights"],
        gates=Gates(options["max_error_rate"], options["max_p99_ms"], options["gate_window"]),
        hold_s=options["hold"],
        longest_request_s=options["longest_request"],
        client_cache_s=options["client_cache"],
        old_health_check=options["old_health_check"],
        new_health_check=options["new_health_check"],
        gateway=options["gateway_ref"],
    )
    result = plan_from_objects(request, objects)
    written: list[str] = []
    if options["out_dir"]:
        from ferry.gateway._cutover import write_plan

        written = write_plan(result, options["out_dir"])
    if options["svg_file"]:
        atomic_write_text(options["svg_file"], timeline_svg(result))
        written.append(options["svg_file"])
    output_format = options["output_format"]
    if output_format == "json":
        emit_json(result.to_dict())
    elif output_format == "markdown":
        click.echo(plan_markdown(result), nl=False)
    else:
        _print_plan(result, written)


def _print_plan(result: Any, written: list[str]) -> None:
    from rich.table import Table

    from ferry.gateway._cutover import duration

    out = console()
    spec = result.spec
    table = Table(
        title=f"cutover plan — {len(spec.hostnames)} hostname(s), {duration(result.duration_s)}",
        title_justify="left",
    )
    for column in ("#", "phase", "starts", "hold", "old/new", "gate"):
        table.add_column(column, overflow="fold")
    for i, phase in enumerate(result.phases, start=1):
        weights = f"{phase.weights[0]}/{phase.weights[1]}" if phase.weights else "—"
        table.add_row(str(i), phase.title, duration(phase.start_s), duration(phase.hold_s), weights, phase.gate)
    out.print(table)
    out.print(f"hostnames: {', '.join(spec.hostnames)}", soft_wrap=True)
    draining = result.draining
    out.print(
        f"draining: Envoy drainTimeout {draining['envoy']['drain_timeout_s']}s / terminationGracePeriodSeconds "
        f"{draining['envoy']['termination_grace_period_s']}; nginx worker-shutdown-timeout "
        f"{draining['nginx']['worker_shutdown_timeout_s']}s / terminationGracePeriodSeconds "
        f"{draining['nginx']['termination_grace_period_s']}; LB deregistration delay "
        f"{draining['load_balancer']['deregistration_delay_s']}s",
        soft_wrap=True,
    )
    for warning in result.warnings:
        out.print(f"[yellow]warning[/]: {warning}", soft_wrap=True)
    for path in written:
        out.print(f"wrote {path}")
    out.print("batches, rollbacks and annotations: --format markdown, --format json or --out DIR")


@cutover.command()
@click.option(
    "--ingress",
    "files",
    multiple=True,
    type=click.Path(exists=True),
    help="Manifests with the Ingresses to rehearse (repeatable; default: examples/estate).",
)
@click.option("--time-compression", type=float, default=120.0, show_default=True, help="Divide every duration by N.")
@click.option("--ttl", type=int, default=60, show_default=True, help="The TTL during the cutover (s).")
@click.option("--current-ttl", type=int, default=300, show_default=True, help="The TTL the names have today (s).")
@click.option(
    "--profile",
    type=click.Choice(["cautious", "standard", "fast"]),
    default="standard",
    show_default=True,
    help="Risk profile of the plan strategy's shift steps.",
)
@click.option("--clients", type=int, default=16, show_default=True, help="Concurrent clients.")
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    type=click.Choice(["naive", "plan"]),
    help="Rehearse only these strategies (default: both).",
)
@click.option(
    "--sides",
    type=click.Choice(["nginx-envoy", "python-echo"]),
    default="nginx-envoy",
    show_default=True,
    help="Real nginx and Envoy (default), or two small Python servers for the DNS and client mechanics alone.",
)
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False), help="Write the per-step chart here.")
@format_option()
def rehearse(
    files: tuple[str, ...],
    time_compression: float,
    ttl: int,
    current_ttl: int,
    profile: str,
    clients: int,
    strategies: tuple[str, ...],
    sides: str,
    svg_file: str | None,
    output_format: str,
) -> None:
    """Rehearse the cutover on this machine: the naive flip and ferry's plan under the same load.

    An authoritative DNS server on loopback answers the hostnames by Route 53's weighted rules; clients resolve
    through it, honour TTLs (a share caches longer), keep connections alive and hold long requests. Exit 1 when
    ferry's plan loses any request.
    """
    from pathlib import Path

    from ferry._kernel import atomic_write_text
    from ferry.errors import UsageError
    from ferry.gateway._cutover import RehearsalLossError, hostnames_of, read_objects
    from ferry.gateway._cutover._loadgen import LoadProfile
    from ferry.gateway._cutover._rehearsal import RehearsalConfig, echo_sides
    from ferry.gateway._cutover._rehearsal import rehearse as run_rehearsal
    from ferry.gateway._cutover._rehearsal_report import rehearsal_svg, verdict
    from ferry.gateway._cutover._schedule import PROFILES

    sources = list(files) or ["examples/estate"]
    if not files and not Path("examples/estate").is_dir():
        raise UsageError("no --ingress given and no examples/estate here", hint="give --ingress FILE")
    objects = read_objects(sources)
    hosts = hostnames_of(objects)
    if not hosts:
        raise UsageError(
            f"no Ingress or HTTPRoute hostnames in {', '.join(sources)}", hint="give --ingress FILE with hosts"
        )
    if time_compression < 1 or clients < 1:
        raise UsageError("--time-compression must be at least 1 and --clients at least 1")
    config = RehearsalConfig(
        hostnames=hosts,
        objects=tuple(objects),
        time_compression=time_compression,
        ttl_s=ttl,
        current_ttl_s=current_ttl,
        weights=PROFILES[profile],
        load=LoadProfile(clients=clients),
        strategies=strategies or ("naive", "plan"),
    )
    if sides == "python-echo":
        pair = echo_sides()
    else:
        from ferry.gateway._cutover._harness_sides import harness_sides

        pair = harness_sides(objects)
    if output_format == "json":
        result = run_rehearsal(config, pair)
    else:
        err = console(stderr=True)
        with err.status("rehearsing…") as status:
            result = run_rehearsal(config, pair, progress=lambda s, k: status.update(f"rehearsing {s}: {k}"))
    if svg_file:
        atomic_write_text(svg_file, rehearsal_svg(result))
    ok, sentence = verdict(result)
    if output_format == "json":
        emit_json(result)
    else:
        _print_rehearsal(result, sentence, svg_file)
    if not ok:
        raise RehearsalLossError(sentence, hint="see the per-step figures; the plan must not lose requests")


def _print_rehearsal(result: dict[str, Any], sentence: str, svg_file: str | None) -> None:
    from rich.table import Table

    out = console()
    for strategy in result["strategies"]:
        table = Table(
            title=f"{strategy['name']}: sent {strategy['sent']}, succeeded {strategy['succeeded']}, "
            f"failed {strategy['failed']}, reset {strategy['reset']}",
            title_justify="left",
        )
        for column in ("step", "weights", "sent", "ok", "failed", "reset", "old %", "new %", "p50", "p99 ms"):
            left = column in ("step", "weights")
            table.add_column(column, justify="left" if left else "right", no_wrap=left)
        for step in strategy["steps"]:
            if not step["sent"]:
                continue
            weights = f"{step['weights']['old']}/{step['weights']['new']}" if step["weights"] else "—"
            lost_style = "red" if step["failed"] or step["reset"] else ""
            table.add_row(
                step["key"],
                weights,
                str(step["sent"]),
                str(step["succeeded"]),
                f"[{lost_style}]{step['failed']}[/]" if lost_style else "0",
                f"[{lost_style}]{step['reset']}[/]" if lost_style else "0",
                f"{step['share']['old'] * 100:.1f}",
                f"{step['share']['new'] * 100:.1f}",
                f"{step['latency_ms']['p50']:.1f}",
                f"{step['latency_ms']['p99']:.1f}",
            )
        out.print(table)
        for note in strategy["notes"]:
            out.print(f"  note: {note}", soft_wrap=True)
    out.print(
        f"time compressed {result['time_compression']:g}× (TTL {result['ttl_s']} s, today {result['current_ttl_s']} s);"
        f" sides: {result['sides']}",
        soft_wrap=True,
    )
    out.print(sentence, soft_wrap=True)
    if svg_file:
        out.print(f"chart written to {svg_file}")
