"""``ferry gateway``: from ingress-nginx to Gateway API. Each command lives in its own module, imported when run."""

from __future__ import annotations

import click

from ferry.cli._lazy import LazyGroup

__all__ = ["gateway"]

GATEWAY_COMMANDS: dict[str, tuple[str, str]] = {
    "convert": (
        "ferry.cli._gateway_convert:convert",
        "Convert ingress-nginx Ingresses to Gateway API + Envoy Gateway.",
    ),
    "audit": ("ferry.cli._gateway_convert:audit", "Account for every ingress-nginx annotation across six targets."),
    "simulate": (
        "ferry.cli._gateway_verify:simulate",
        "Route requests through the ingress-nginx and Gateway API routers.",
    ),
    "verify": (
        "ferry.cli._gateway_verify:verify",
        "Replay traffic through real nginx and real Envoy and report differences.",
    ),
    "cutover": ("ferry.cli._gateway_cutover:cutover", "Plan and rehearse a zero-downtime weighted-DNS cutover."),
}


@click.group(cls=LazyGroup, lazy_subcommands=GATEWAY_COMMANDS)
def gateway() -> None:
    """Migrate ingress-nginx Ingresses to Gateway API and prove the migration."""
