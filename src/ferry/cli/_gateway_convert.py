"""``ferry gateway convert`` and ``ferry gateway audit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.errors import FindingsError, UsageError

__all__ = ["audit", "convert"]

_TARGETS = ("envoy-gateway", "istio", "traefik", "nginx-gateway-fabric", "higress", "standard")


def _input_options(func: Any) -> Any:
    options = [
        click.argument("paths", nargs=-1, type=str),
        click.option("--from-cluster", is_flag=True, help="Read Ingresses from a live cluster (read-only)."),
        click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig for --from-cluster."),
        click.option("--context", "kube_context", metavar="NAME", help="Kubeconfig context for --from-cluster."),
        click.option("--ingress-class", metavar="NAME", help="Only Ingresses of this class (ingress-nginx's flag)."),
        click.option(
            "--annotation-prefix",
            default="nginx.ingress.kubernetes.io",
            show_default=True,
            help="ingress-nginx's --annotations-prefix.",
        ),
        click.option(
            "--controller", default="k8s.io/ingress-nginx", show_default=True, help="IngressClass controller."
        ),
        click.option("--configmap", metavar="NS/NAME", help="The controller ConfigMap (default: Helm chart names)."),
        click.option("--tcp-services-configmap", metavar="NS/NAME", help="The tcp-services ConfigMap."),
        click.option("--udp-services-configmap", metavar="NS/NAME", help="The udp-services ConfigMap."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _read(params: dict[str, Any]) -> tuple[Any, Any]:
    """(IngressInput, Service ports) from the paths or the cluster; input errors are listed, then raised."""
    from ferry.gateway import IngressInputError, load_objects, read_ingress_input
    from ferry.gateway._convert import services_from

    paths: tuple[str, ...] = params["paths"]
    if params["from_cluster"]:
        if paths:
            raise UsageError("give either PATHS or --from-cluster, not both")
        from ferry.gateway._cluster import read_cluster

        objects = read_cluster(kubeconfig=params["kubeconfig"], context=params["kube_context"])
        problems: list[Any] = []
    else:
        if not paths:
            raise UsageError("no input: give files, directories or '-' for stdin (or --from-cluster)")
        objects, problems = load_objects(list(paths))
    data = read_ingress_input(
        objects,
        annotation_prefix=params["annotation_prefix"],
        ingress_class=params["ingress_class"],
        controller=params["controller"],
        configmap=params["configmap"],
        tcp_configmap=params["tcp_services_configmap"],
        udp_configmap=params["udp_services_configmap"],
    )
    errors = [*problems, *data.errors]
    if errors:
        for problem in errors:
            sys.stderr.write(f"ferry: {problem}\n")
        first = errors[0]
        raise IngressInputError(
            first.message,
            path=first.path,
            document=first.document,
            obj=first.obj,
            field=first.field,
            line=first.line,
            hint=f"{len(errors)} input problem(s), listed above; fix them and run again",
        )
    return data, services_from(objects)


@click.command()
@_input_options
@click.option("--target", type=click.Choice(["envoy-gateway", "standard"]), default="envoy-gateway", show_default=True)
@click.option("--channel", type=click.Choice(["standard", "experimental"]), default="standard", show_default=True)
@click.option("--gateway-namespace", default="gateway-system", show_default=True, help="Namespace of shared Gateways.")
@click.option("--gateway-per-namespace", is_flag=True, help="One Gateway per application namespace.")
@click.option("--gateway-class", metavar="NAME", help="GatewayClass (default: eg, or the ingress class for standard).")
@click.option("-o", "--output", default="-", show_default=True, help="Directory to write, or '-' for one YAML stream.")
@format_option()
def convert(output: str, output_format: str, **params: Any) -> None:
    """Convert ingress-nginx Ingresses to Gateway API (and Envoy Gateway policies).

    PATHS are files or directories of manifests (multi-document YAML, kind: List, cluster dumps) or '-' for stdin.
    """
    from ferry.gateway._bulk import bulk_work

    with bulk_work():
        _convert(output, output_format, params)


def _convert(output: str, output_format: str, params: dict[str, Any]) -> None:
    from ferry._kernel import atomic_write_text
    from ferry.gateway._audit import build_audit
    from ferry.gateway._convert import Channel, ConvertOptions, Target
    from ferry.gateway._convert import convert as run_convert
    from ferry.gateway._report import conversion_files, conversion_report, conversion_to_dict, yaml_stream

    data, services = _read(params)
    options = ConvertOptions(
        target=Target(params["target"]),
        channel=Channel(params["channel"]),
        gateway_namespace=params["gateway_namespace"],
        gateway_per_namespace=params["gateway_per_namespace"],
        gateway_class_name=params["gateway_class"],
    )
    conversion = run_convert(data, options, services=services)
    audit_result = build_audit(data, conversion if options.target is Target.ENVOY_GATEWAY else None)
    if output != "-":
        root = Path(output)
        if root.exists() and not root.is_dir():
            raise UsageError(f"-o {output}: exists and is not a directory")
        for relative, text in conversion_files(conversion).items():
            atomic_write_text(root / relative, text)
        atomic_write_text(root / "REPORT.md", conversion_report(conversion, audit_result) + "\n")
        import json

        report = conversion_to_dict(conversion, audit_result, objects=False)
        atomic_write_text(root / "report.json", json.dumps(report, indent=2, sort_keys=True) + "\n")
    if output_format == "json":
        emit_json(conversion_to_dict(conversion, audit_result, objects=output == "-"))
        return
    if output == "-":
        sys.stdout.write(yaml_stream(conversion))
    _print_summary(conversion, audit_result, output)


def _print_summary(conversion: Any, audit_result: Any, output: str) -> None:
    from rich.table import Table

    out = console(stderr=output == "-")
    counts: dict[str, int] = {}
    for obj in conversion.objects:
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    table = Table(title="ferry gateway convert", title_justify="left")
    table.add_column("kind")
    table.add_column("objects", justify="right")
    for kind, count in counts.items():
        table.add_row(kind, str(count))
    out.print(table)
    summary = audit_result.summary()
    target = conversion.options.target.value
    row = summary["targets"][target]
    out.print(
        f"{summary['ingresses']} Ingresses, {summary['annotations']} annotations for {target}: "
        f"{row['exact']} exact, {row['approximate']} approximate, {row['manual']} manual, {row['none']} none; "
        f"{len(conversion.differences)} differences from ingress-nginx noted on the objects",
        soft_wrap=True,
    )
    for warning in conversion.warnings:
        out.print(f"[yellow]warning[/] {warning}", soft_wrap=True)
    if output != "-":
        out.print(f"written to {output}/ (REPORT.md, report.json, <namespace>/<kind>.yaml)")


@click.command()
@_input_options
@format_option("text", "json", "markdown", "html")
@click.option(
    "--target",
    type=click.Choice(_TARGETS),
    default="envoy-gateway",
    show_default=True,
    help="The target --fail-on judges.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "approximate", "manual", "none"]),
    default="never",
    show_default=True,
    help="Exit 1 when an annotation is at least this bad for --target.",
)
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False), help="Write the report to a file.")
def audit(output_format: str, target: str, fail_on: str, output_file: str | None, **params: Any) -> None:
    """Account for every ingress-nginx annotation: status per target, parity matrix, recommendation."""
    from ferry.gateway._bulk import bulk_work

    with bulk_work():
        _audit(output_format, target, fail_on, output_file, params)


def _audit(output_format: str, target: str, fail_on: str, output_file: str | None, params: dict[str, Any]) -> None:
    import json

    from ferry._kernel import atomic_write_text
    from ferry.gateway._audit import build_audit, render_html, render_markdown
    from ferry.gateway._convert import Status, Target
    from ferry.gateway._convert import convert as run_convert

    data, services = _read(params)
    conversion = run_convert(data, services=services)
    result = build_audit(data, conversion)
    text: str | None = None
    if output_format == "json":
        text = json.dumps(result.to_dict(), indent=2) + "\n"
    elif output_format == "markdown":
        text = render_markdown(result)
    elif output_format == "html":
        text = render_html(result)
    if output_file and text is not None:
        atomic_write_text(output_file, text)
    elif text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        _print_audit(result, Target(target))
    if fail_on != "never" and result.fails(Target(target), Status(fail_on)):
        threshold = Status(fail_on)
        bad = [a for _, a in result.entries() if a.status[Target(target)].rank >= threshold.rank]
        raise FindingsError(
            f"{len(bad)} annotation(s) are {fail_on} or worse on {target} (first: {bad[0].key})",
            hint="see the report; --fail-on never to only report",
        )


_SHORT = {
    "envoy-gateway": "EG",
    "istio": "Istio",
    "traefik": "Traefik",
    "nginx-gateway-fabric": "NGF",
    "higress": "Higress",
    "standard": "std",
}
_STYLE = {"exact": "green", "approximate": "yellow", "manual": "dark_orange", "none": "red"}


def _print_audit(result: Any, target: Any) -> None:
    from rich.table import Table

    from ferry.gateway._audit import TARGETS

    out = console()
    summary = result.summary()
    matrix = Table(
        title=f"annotation parity — {summary['ingresses']} Ingresses, {summary['annotations']} annotations",
        title_justify="left",
    )
    for column in ("target", "exact", "approximate", "manual", "none", "score"):
        matrix.add_column(column, justify="left" if column == "target" else "right")
    for name, row in summary["targets"].items():
        matrix.add_row(
            name, *(str(row[s]) for s in ("exact", "approximate", "manual", "none")), f"{row['score'] * 100:.0f}%"
        )
    out.print(matrix)
    out.print(f"recommended target: [bold]{summary['recommendation']}[/]")
    detail = Table(title="per Ingress (E exact, A approximate, M manual, N none)", title_justify="left")
    detail.add_column("ingress")
    detail.add_column("annotation")
    for t in TARGETS:
        detail.add_column(_SHORT[t.value], justify="center")
    for ingress in result.ingresses:
        for entry in ingress.annotations:
            cells = [f"[{_STYLE[entry.status[t].value]}]{entry.status[t].value[0].upper()}[/]" for t in TARGETS]
            detail.add_row(f"{ingress.namespace}/{ingress.name}", entry.key, *cells)
    out.print(detail)
    for name, rows in summary["callouts"].items():
        out.print(f"{name}: " + (", ".join(f"{r['ingress']} {r['key']}" for r in rows) or "not used"), soft_wrap=True)
