"""Command line: click stays here; commands are plain functions returning exit codes.

Exit codes: 0 ok, 1 user error (diagnostics printed), 2 usage, 3 internal bug
(traceback saved to a log file, never shown as the error), 130 interrupted.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

_PATH = click.argument("path", type=click.Path(path_type=Path), default="project.yaml", required=False)
_OUT = click.option("--out", type=click.Path(path_type=Path), default="generated", show_default=True,
                    help="Directory of compiled manifests.")
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="How to print diagnostics.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nautiform")
def cli() -> None:
    """Compile one project.yaml into reviewed Kubernetes manifests for a shared GPU cluster."""


@cli.command("compile")
@_PATH
@_OUT
@_FORMAT
def compile_cmd(path: Path, out: Path, fmt: str) -> None:
    """Compile PATH (default project.yaml) into --out (default generated/)."""
    from .commands.compile import compile_project

    sys.exit(compile_project(path, out, fmt))


@cli.command("check")
@_PATH
@_OUT
@_FORMAT
def check_cmd(path: Path, out: Path, fmt: str) -> None:
    """Exit 0 when --out is exactly what PATH compiles to; else print the diff and exit 1."""
    from .commands.compile import check_project

    sys.exit(check_project(path, out, fmt))


@cli.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of project.yaml."""
    from .commands.schema import schema_text

    click.echo(schema_text(), nl=False)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception:  # the error boundary: a bug in nautiform, not in the user's file
        _crash()


def _crash() -> None:
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile("w", prefix="nautiform-crash-", suffix=".log", delete=False) as fh:
        traceback.print_exc(file=fh)
    print(f"internal error: nautiform has a bug (not your project.yaml). Details: {fh.name}\n"
          "  please report it with that file", file=sys.stderr)
    sys.exit(3)
