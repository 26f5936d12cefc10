"""The ``ferry`` entry point: the root group, and how errors become one line and an exit code."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from ferry import __version__
from ferry.cli._lazy import LazyGroup
from ferry.errors import EXIT_INTERNAL, EXIT_USAGE, FerryError

__all__ = ["cli", "main"]

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("ferry.cli._assess:assess", "Read a platform estate and report what each system finds."),
    "coco": ("ferry.cli._coco:coco", "Confidential Containers: initdata, sealed secrets, policies, webhook, export."),
    "gateway": ("ferry.cli._gateway:gateway", "Migrate ingress-nginx to Gateway API and prove the migration."),
    "config": ("ferry.cli._config:config", "Show ferry's settings, where each comes from and what it shadows."),
    "boot": ("ferry.cli._boot:boot", "Audit and repair UEFI boot order: predict boot time, plan, apply, verify."),
    "genai": ("ferry.cli._genai:genai", "Say why an AI agent was slow: analyze, receive and store GenAI telemetry."),
    "cache": ("ferry.cli._cache:cache", "Cache model weights and datasets: prefetch, share, load zero-copy."),
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(__version__, "--version", prog_name="ferry", message="%(prog)s %(version)s")
@click.option("--log-level", default=None, metavar="LEVEL", help="Logging level (config key log.level).")
@click.option("--config", "config_file", default=None, metavar="FILE", help="Settings file (default ./ferry.yaml).")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None, config_file: str | None) -> None:
    """ferry carries Kubernetes platform teams through the transitions of the cloud native stack.

    Exit codes: 0 ok, 1 findings or verification failed, 2 usage or input error, 3 internal error.
    """
    flags: dict[str, Any] = {}
    if log_level is not None:
        flags["log.level"] = log_level
    if config_file is not None:
        flags["config.file"] = config_file
    ctx.obj = {"flags": flags}
    from ferry.cli._settings import configure  # imported here: `ferry --help` never reads settings

    configure(ctx)


def _say(message: str) -> None:
    sys.stderr.write(f"ferry: {message}\n")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; never lets a traceback reach the user unless FERRY_DEBUG is set."""
    try:
        # Without standalone mode click *returns* the code of a raised click.exceptions.Exit instead of exiting.
        returned = cli.main(args=argv, prog_name="ferry", standalone_mode=False)
    except FerryError as exc:
        _say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _say("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("FERRY_DEBUG"):
            traceback.print_exc()
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {os.path.basename(last.filename)}:{last.lineno}" if last else ""
        _say(
            f"internal error: {type(exc).__name__}: {exc}{where} "
            "(a bug in ferry; set FERRY_DEBUG=1 for the traceback and please report it)"
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(returned if isinstance(returned, int) else 0)
