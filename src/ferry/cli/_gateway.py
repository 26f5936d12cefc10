"""``ferry gateway``: from ingress-nginx to Gateway API. Each command lives in its own module, imported when run."""

from __future__ import annotations

import click

from ferry.cli._lazy import LazyGroup

__all__ = ["gateway"]

GATEWAY_COMMANDS: dict[str, tuple[str, str]] = {
    "cutover": ("ferry.cli._gateway_cutover:cutover", "Plan and rehearse a zero-downtime weighted-DNS cutover."),
}


@click.group(cls=LazyGroup, lazy_subcommands=GATEWAY_COMMANDS)
def gateway() -> None:
    """Migrate ingress-nginx Ingresses to Gateway API and prove the migration."""
