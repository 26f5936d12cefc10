"""The ``ferry`` command line. Subcommands live one module per system and are imported only when run."""

from ferry.cli._main import cli as cli
from ferry.cli._main import main as main

__all__ = ["cli", "main"]
