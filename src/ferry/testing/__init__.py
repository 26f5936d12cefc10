"""Public test helpers for ferry's own tests and for users' tests of code built on ferry."""

from ferry._kernel import free_port as free_port
from ferry.testing._cli import CliResult as CliResult
from ferry.testing._cli import run_cli as run_cli

__all__ = ["CliResult", "free_port", "run_cli"]
