"""``ferry assess``: the front door."""

from __future__ import annotations

from typing import Any

import click

from ferry._kernel import Severity, atomic_write_text
from ferry.assess import Assessment, render_html
from ferry.assess import assess as run_assess
from ferry.cli._output import console, emit_json, format_option
from ferry.errors import EXIT_FINDINGS

__all__ = ["assess"]

_SEV_STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "info": "cyan"}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@format_option()
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write a self-contained HTML report.")
@click.option("--system", "systems", multiple=True, metavar="NAME", help="Assess only these systems (repeatable).")
@click.option(
    "--fail-on",
    type=click.Choice(["never", "info", "warning", "error", "critical"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option("--max-findings", type=int, default=12, show_default=True, help="Findings shown per system (text).")
def assess(
    paths: tuple[str, ...],
    output_format: str,
    html_file: str | None,
    systems: tuple[str, ...],
    fail_on: str,
    max_findings: int,
) -> None:
    """Read a platform estate and report what each system finds.

    PATHS are directories or files: Kubernetes manifests (multi-document YAML, kind: List, kubectl dumps), boot
    dumps under boot/ and telemetry under traces/.
    """
    only = frozenset(systems) if systems else None
    if output_format == "json":
        result = run_assess(paths, systems=only)
    else:
        out = console(stderr=True)
        with out.status("assessing…") as status:
            result = run_assess(paths, systems=only, on_start=lambda s: status.update(f"assessing {s}…"))
    if html_file:
        atomic_write_text(html_file, render_html(result))
    if output_format == "json":
        emit_json(result.to_dict())
    else:
        _print_text(result, max_findings, html_file)
    if fail_on != "never":
        threshold = Severity.parse(fail_on)
        worst = result.worst()
        if worst is not None and worst.rank >= threshold.rank:
            raise click.exceptions.Exit(EXIT_FINDINGS)


def _print_text(result: Assessment, max_findings: int, html_file: str | None) -> None:
    from rich.table import Table

    out = console()
    table = Table(title=f"ferry assess — {', '.join(result.roots)}", title_justify="left")
    table.add_column("system", style="bold")
    for sev in reversed(Severity):
        table.add_column(sev.value, justify="right", style=_SEV_STYLE[sev.value])
    table.add_column("summary")
    for section in result.sections:
        counts = [str(sum(1 for f in section.findings if f.severity is sev)) for sev in reversed(Severity)]
        table.add_row(section.system, *counts, section.summary)
    out.print(table)
    for section in result.sections:
        if not section.findings:
            continue
        data: dict[str, Any] = section.to_dict()
        out.print(f"\n[bold]{section.system}[/bold]")
        for finding in data["findings"][:max_findings]:
            sev = finding["severity"]
            obj = f" {finding['object']}" if finding["object"] else ""
            out.print(f"  [{_SEV_STYLE[sev]}]{sev:8}[/] {finding['code']}{obj}: {finding['message']}", soft_wrap=True)
        hidden = len(data["findings"]) - max_findings
        if hidden > 0:
            out.print(f"  … and {hidden} more (--format json or --html for all)")
    if result.errors:
        out.print(f"\n[bold]input errors[/bold] ({len(result.errors)})")
        for error in result.errors:
            where = (error.path or "") + (f":{error.line}" if error.line else "")
            system = f"[{error.system}] " if error.system else ""
            out.print(f"  {error.severity:8} {system}{where}: {error.message}", soft_wrap=True)
    if html_file:
        out.print(f"\nHTML report written to {html_file}")
