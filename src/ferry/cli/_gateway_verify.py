"""``ferry gateway simulate`` and ``ferry gateway verify``: route requests on paper, then prove it on real proxies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.errors import InputError, UsageError

__all__ = ["simulate", "verify"]


def _load(paths: Sequence[str], what: str) -> list[Any]:
    from ferry.gateway import load_objects

    objects, problems = load_objects(list(paths))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InputError(f"cannot read {what}: {errors[0]}", hint="fix the file or leave it out")
    return objects


def _ingress_objects_input(paths: Sequence[str], configmap: str | None) -> Any:
    """The Ingress input with the Secrets and Services among the files (basic auth, named ports)."""
    from ferry.gateway import NginxRouter, read_ingress_input
    from ferry.gateway._simulate._gwapi_model import secrets_of, service_ports_of

    objects = _load(paths, "--ingress")
    return NginxRouter(read_ingress_input(objects, configmap=configmap), secrets_of(objects), service_ports_of(objects))


def _read_requests(path: str) -> list[Any]:
    from ferry.gateway import request_from_json

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return [request_from_json(line, f"{path}:{n}") for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


@click.command()
@click.option("--ingress", "ingress_files", multiple=True, metavar="FILE", help="Ingress manifests (and ConfigMap).")
@click.option(
    "--gateway", "gateway_files", multiple=True, metavar="FILE", help="Gateway API / Envoy Gateway manifests."
)
@click.option(
    "--request", "request_line", metavar="'METHOD URL'", help="One request, e.g. 'GET https://a.example.com/x'."
)
@click.option("-H", "--header", "headers", multiple=True, metavar="'K: V'", help="A header of --request (repeatable).")
@click.option("--client-ip", default="127.0.0.1", show_default=True, metavar="IP", help="Client address of --request.")
@click.option("--requests", "requests_file", metavar="FILE.jsonl", help="Requests, one JSON object per line.")
@click.option("--configmap", metavar="NS/NAME", help="The ingress-nginx controller ConfigMap among --ingress files.")
@format_option()
def simulate(
    ingress_files: tuple[str, ...],
    gateway_files: tuple[str, ...],
    request_line: str | None,
    headers: tuple[str, ...],
    client_ip: str,
    requests_file: str | None,
    configmap: str | None,
    output_format: str,
) -> None:
    """Route requests through the ingress-nginx router and/or the Gateway API router (pure, no proxy runs).

    Each line of FILE.jsonl is {"method", "url", "headers", "client_ip", "gateway"}; "gateway" (namespace/name)
    names the Gateway that receives the request and the URL's port selects its listener.
    """
    from ferry.gateway import Simulator, parse_request_line

    if not ingress_files and not gateway_files:
        raise UsageError("give --ingress FILE, --gateway FILE or both")
    if (request_line is None) == (requests_file is None):
        raise UsageError("give exactly one of --request and --requests")
    if request_line is not None:
        requests = [parse_request_line(request_line, headers, client_ip)]
    else:
        if headers or client_ip != "127.0.0.1":
            raise UsageError("-H and --client-ip go with --request; put them in the JSONL lines with --requests")
        requests = _read_requests(str(requests_file))
    sim = Simulator(
        _ingress_objects_input(ingress_files, configmap) if ingress_files else None,
        _load(gateway_files, "--gateway") if gateway_files else None,
    )
    results = sim.run(requests)
    if output_format == "json":
        emit_json([r.to_dict() for r in results])
        return
    from rich.table import Table

    table = Table(title="ferry gateway simulate", title_justify="left")
    table.add_column("request")
    if sim.nginx is not None:
        table.add_column("ingress-nginx")
    if sim.gateway is not None:
        table.add_column("Gateway API")
    for result in results:
        row = [f"{result.request.method} {result.request.url}"]
        for decision in (result.nginx, result.gateway):
            if decision is None:
                continue
            target = decision.backend or decision.location or ""
            extra = f" {decision.backend_path}" if decision.backend else ""
            row.append(f"{decision.status} {target}{extra}\n[dim]{decision.rule or ''}[/dim]")
        table.add_row(*row)
    console().print(table)


def _read_audit(path: str) -> list[Any]:
    import json

    from ferry.gateway._verify import Approximation

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the audit {path}: {exc}", hint="pass the JSON of the conversion audit") from exc
    out = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            ingress = item.get("ingress") or item.get("object")
            annotation = item.get("annotation") or item.get("key")
            status = str(item.get("status") or item.get("support") or "approximate").lower()
            if (
                isinstance(ingress, str)
                and isinstance(annotation, str)
                and status
                in (
                    "approximate",
                    "partial",
                    "unsupported",
                    "approximated",
                )
            ):
                ingress = ingress.removeprefix("Ingress ").strip()
                reason = str(item.get("reason") or item.get("message") or item.get("note") or status)
                out.append(Approximation(ingress, annotation, reason))
            else:
                stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return out


@click.command()
@click.option("--ingress", "ingress_files", multiple=True, required=True, metavar="FILE", help="Ingress manifests.")
@click.option(
    "--gateway",
    "gateway_files",
    multiple=True,
    metavar="FILE",
    help="Converted manifests (default: convert --ingress now, with the conversion's audit).",
)
@click.option("--requests", "requests_file", metavar="FILE.jsonl", help="Extra requests to replay (JSON lines).")
@click.option("--audit", "audit_file", metavar="FILE.json", help="The conversion audit: approximations are expected.")
@click.option("--no-generate", is_flag=True, help="Replay only --requests, do not generate a corpus from the routes.")
@click.option(
    "--samples", default=300, show_default=True, help="Requests per weighted split for the statistical check."
)
@click.option("--configmap", metavar="NS/NAME", help="The ingress-nginx controller ConfigMap among --ingress files.")
@click.option("--max-differences", default=20, show_default=True, help="Differences listed in text output.")
@format_option()
def verify(
    ingress_files: tuple[str, ...],
    gateway_files: tuple[str, ...],
    requests_file: str | None,
    audit_file: str | None,
    no_generate: bool,
    samples: int,
    configmap: str | None,
    max_differences: int,
    output_format: str,
) -> None:
    """Replay traffic through a real nginx (the Ingresses) and a real Envoy (the Gateway API resources).

    Without --gateway the Ingresses are converted first (as ferry gateway convert does) and the conversion's audit
    says which differences are expected.

    Lists every request whose outcome differs, expected (the audit said approximate) or unexpected, checks the
    simulator against each proxy and weighted splits statistically. Exit 1 on any unexpected difference.
    """
    from ferry.gateway._verify import verify as run_verify

    if no_generate and not requests_file:
        raise UsageError("--no-generate needs --requests FILE.jsonl")
    if samples < 20:
        raise UsageError("--samples must be at least 20 for the statistical check")
    from ferry.gateway import read_ingress_input
    from ferry.gateway._simulate._gwapi_model import secrets_of, service_ports_of
    from ferry.gateway._verify import convert_for_verify

    ingress_objects = _load(ingress_files, "--ingress")
    data = read_ingress_input(ingress_objects, configmap=configmap)
    approximations = _read_audit(audit_file) if audit_file else []
    if gateway_files:
        gateway_objects = _load(gateway_files, "--gateway")
    else:
        gateway_objects, audited = convert_for_verify(ingress_objects)
        approximations += audited
    extra = _read_requests(requests_file) if requests_file else []
    secrets = secrets_of(ingress_objects)
    services = service_ports_of(ingress_objects)
    if output_format == "json":
        report = run_verify(
            data,
            gateway_objects,
            requests=extra,
            generate=not no_generate,
            approximations=approximations,
            samples=samples,
        )
        emit_json(report.to_dict())
    else:
        from rich.progress import Progress

        with Progress(console=console(stderr=True), transient=True) as bar:
            task = bar.add_task("replaying through nginx and Envoy", total=None)
            report = run_verify(
                data,
                gateway_objects,
                requests=extra,
                generate=not no_generate,
                approximations=approximations,
                samples=samples,
                secrets=secrets,
                services=services,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _print_report(report, max_differences)
    if not report.ok:
        from ferry.gateway import VerificationFailedError

        problems = [f"{len(report.unexpected)} unexpected difference(s) between nginx and Envoy"]
        if not report.simulator_ok:
            problems.append("the simulator disagrees with a real proxy (a bug in ferry; please report it)")
        if not report.weights_ok:
            problems.append("a weighted split is off its weights")
        raise VerificationFailedError(
            "verification failed: " + "; ".join(problems),
            hint="see the report above; differences the audit explains are expected",
        )


def _print_report(report: Any, limit: int) -> None:
    from rich.table import Table

    out = console()
    verdict = "[green]ok[/green]" if report.ok else "[red]FAILED[/red]"
    out.print(
        f"[bold]ferry gateway verify[/bold] {verdict}: {report.requests} requests in {report.seconds:.1f} s, "
        f"{len(report.unexpected)} unexpected and {len(report.expected)} expected differences"
    )
    sims = Table(title="simulator against the real proxies", title_justify="left")
    for col in ("proxy", "requests", "agree", "agreement"):
        sims.add_column(col)
    for check in report.simulator:
        sims.add_row(
            check.proxy, str(check.total), str(check.total - len(check.disagreements)), f"{check.agreement:.2%}"
        )
    out.print(sims)
    if report.weights:
        w = Table(title="weighted splits", title_justify="left")
        for col in ("proxy", "request", "expected", "observed", "ok"):
            w.add_column(col)
        for check in report.weights:
            exp = " / ".join(f"{k} {v:.2f}" for k, v in check.expected.items())
            obs = " / ".join(f"{k} {check.observed.get(k, 0) / check.samples:.2f}" for k in check.expected)
            w.add_row(check.proxy, check.request.url, exp, obs, "yes" if check.ok else "[red]no[/red]")
        out.print(w)
    shown = sorted(report.differences, key=lambda d: d.expected)[:limit]
    if shown:
        t = Table(title="differences between nginx and Envoy", title_justify="left")
        for col in ("", "request", "nginx", "envoy", "fields / reason"):
            t.add_column(col)
        for d in shown:
            mark = "[yellow]expected[/yellow]" if d.expected else "[red]unexpected[/red]"
            t.add_row(
                mark,
                f"{d.request.method} {d.request.url}",
                f"{d.nginx.status} {d.nginx.backend or d.nginx.location or ''}",
                f"{d.envoy.status} {d.envoy.backend or d.envoy.location or ''}",
                f"{', '.join(d.fields)}\n[dim]{d.reason}[/dim]",
            )
        out.print(t)
        hidden = len(report.differences) - len(shown)
        if hidden > 0:
            out.print(f"… and {hidden} more (--format json for all)")
    for check in report.simulator:
        for req, decision, seen, fields in check.disagreements[:limit]:
            out.print(
                f"[red]simulator disagrees with {check.proxy}[/red] (a ferry bug) on {req.method} {req.url}: "
                f"{', '.join(fields)}: simulated {decision.to_dict()} observed {seen.to_dict()}",
                soft_wrap=True,
            )
