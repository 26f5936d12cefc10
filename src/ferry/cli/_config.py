"""``ferry config``: ferry's own settings, where each comes from, and what it shadows."""

from __future__ import annotations

from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.cli._settings import SETTINGS, configure
from ferry.config import Explanation, Reader
from ferry.errors import EXIT_FINDINGS

__all__ = ["config"]


def _reader(ctx: click.Context) -> Reader:
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "config" not in obj:
        configure(root)
    reader: Reader = obj["config"]
    return reader


def _row(e: Explanation) -> dict[str, Any]:
    return {
        "key": e.key,
        "value": e.value if e.found else None,
        "source": e.provider,
        "encoded": e.encoded,
        "secret": e.secret,
        "shadowed": [{"source": r.provider, "encoded": r.encoded, "value": r.value} for r in e.shadowed],
    }


@click.group()
def config() -> None:
    """ferry's own settings: flags > FERRY_* environment > --config / $FERRY_CONFIG / ./ferry.yaml > defaults."""


@config.command()
@format_option()
@click.pass_context
def show(ctx: click.Context, output_format: str) -> None:
    """Print the effective settings with the source of each (secrets redacted)."""
    reader = _reader(ctx)
    known = [s.key for s in SETTINGS]
    rows = reader.dump(known)
    collisions = reader.collisions(known)
    if output_format == "json":
        emit_json(
            {
                "settings": [_row(e) for e in rows],
                "sources": [p.name for p in reader.providers],
                "collisions": [c.to_dict() for c in collisions],
            }
        )
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title="ferry settings (highest precedence first: " + " > ".join(p.name for p in reader.providers) + ")"
    )
    table.add_column("key", style="bold", overflow="fold")
    table.add_column("value", overflow="fold")
    table.add_column("source", overflow="fold")
    table.add_column("as", overflow="fold")
    table.add_column("shadows", style="dim", overflow="fold")
    for e in rows:
        shadows = ", ".join(f"{r.provider}={r.value}" for r in e.shadowed)
        table.add_row(
            escape(e.key), escape(e.value or "-"), escape(e.provider or "-"), escape(e.encoded or "-"), escape(shadows)
        )
    out = console()
    out.print(table)
    for collision in collisions:
        out.print(f"[yellow]warning[/yellow]: {escape(str(collision))}")


@config.command()
@click.argument("key")
@format_option()
@click.pass_context
def explain(ctx: click.Context, key: str, output_format: str) -> None:
    """Show which source sets KEY, how that source spells it, and what it shadows (exit 1 when KEY is not set)."""
    reader = _reader(ctx)
    explained = reader.explain(key)
    if output_format == "json":
        emit_json(explained.to_dict())
    else:
        from rich.markup import escape

        out = console()
        if not explained.found:
            out.print(f"[bold]{escape(key)}[/bold] is not set")
        else:
            out.print(
                f"[bold]{escape(key)}[/bold] = {escape(explained.value or explained.raw or '')}  "
                f"from [green]{escape(explained.provider or '')}[/green] as {escape(explained.encoded or '')}"
            )
            if explained.error:
                out.print(f"  [red]cannot be read as {explained.type}[/red]: {escape(explained.error)}")
        for r in explained.consulted:
            state = escape(r.value or "") if r.found else "[dim]not set[/dim]"
            mark = "→" if r.provider == explained.provider else ("shadowed" if r.found else " ")
            out.print(f"  {mark:8} {escape(r.provider)} ({escape(r.encoded)}): {state}")
        for collision in explained.collisions:
            out.print(f"  [yellow]collision[/yellow]: {escape(str(collision))}")
    if not explained.found:
        raise click.exceptions.Exit(EXIT_FINDINGS)
