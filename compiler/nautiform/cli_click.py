"""The full command line, in click: every command, its help text and its usage errors.

`cli.main` comes here for everything but a plain `compile` or `check` (see cli.py);
commands are plain functions returning exit codes.
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


@cli.command("plan")
@_OUT
@click.option("--base", default=None, help="Git ref to compare with (default: merge base with the default branch).")
@click.option("--allow-data-loss", is_flag=True, help="Do not fail on PVC removal, shrink or class/mode change.")
@click.option("--markdown", type=click.Path(path_type=Path), default=None, help="Also write a markdown summary.")
def plan_cmd(out: Path, base: str | None, allow_data_loss: bool, markdown: Path | None) -> None:
    """Show what merging will create, change and prune; exit 1 if it would lose data."""
    from .commands.plan import plan

    sys.exit(plan(out, base, allow_data_loss, markdown))


@cli.command("apply")
@_OUT
@click.option("--allow-data-loss", is_flag=True, help="Apply even if a PVC was removed or changed (never deletes it).")
@click.option("--dry-run", is_flag=True, help="Server-side dry run: the API server validates, nothing changes.")
def apply_cmd(out: Path, allow_data_loss: bool, dry_run: bool) -> None:
    """Server-side apply --out to the cluster in KUBECONFIG and prune what the project no longer declares."""
    from .commands.apply import apply

    sys.exit(apply(out, allow_data_loss, dry_run))


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--name", default=None, help="Project name (default: the directory's name).")
@click.option("--namespace", default=None, help="Your namespace on the cluster (default: the project name).")
@click.option("--profile", type=click.Choice(["nautilus", "generic"]), default="nautilus", show_default=True)
@click.option("--repository", default=None, help="Image registry repository.")
@click.option("--repo", default=None, help="Git URL of your code.")
def init_cmd(directory: Path, name, namespace, profile, repository, repo) -> None:
    """Scaffold project.yaml, Dockerfile, .gitlab-ci.yml and .gitignore, then compile."""
    from .commands.init import init

    sys.exit(init(directory, name, namespace, profile, repository, repo))


@cli.command("image")
@_PATH
@_OUT
@click.option("--check-registry", is_flag=True, help="Also ask the registry whether the tag already exists.")
def image_cmd(path: Path, out: Path, check_registry: bool) -> None:
    """Print the image reference, build context and Dockerfile as KEY=value lines (for CI)."""
    from .commands.image import image

    sys.exit(image(path, out, check_registry))


@cli.group("data")
def data_group() -> None:
    """Datasets declared in project.yaml."""


@data_group.command("fetch")
@click.argument("name")
@click.option("--project", "path", type=click.Path(path_type=Path), default="project.yaml", show_default=True)
@click.option("--to", type=click.Path(path_type=Path), default="data", show_default=True,
              help="Directory to fetch into (the dataset lands in DIR/NAME).")
@click.option("--force", is_flag=True, help="Fetch again even if the marker says it is up to date.")
def data_fetch_cmd(name: str, path: Path, to: Path, force: bool) -> None:
    """Fetch dataset NAME exactly as the cluster's data Job would (verify, move into place, marker)."""
    from .commands.data import fetch

    sys.exit(fetch(path, name, to, force))


@data_group.command("push")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("name")
@click.option("--project", "project", type=click.Path(path_type=Path), default="project.yaml", show_default=True)
@click.option("--tool", type=click.Choice(["auto", "s5cmd", "rclone", "builtin"]), default=None,
              help="S3 transfer tool (default: the dataset's `tool`).")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Files in flight at once (default: the dataset's `workers`).")
@click.option("--endpoint", default=None, help="S3 endpoint (default: the dataset's, else the profile's outside one).")
@click.option("--profile", default=None, help="Profile of ~/.aws/credentials (the file s5cmd and the AWS CLI read).")
@click.option("--credentials-file", type=click.Path(path_type=Path), default=None,
              help="Shared credentials file to read --profile (or AWS_PROFILE, or default) from.")
@click.option("--rclone-remote", default=None, help="Take the S3 keys of this rclone remote.")
@click.option("--part-size-mib", type=click.IntRange(5, 5120), default=50, show_default=True,
              help="Multipart part size; a file up to it goes in one PUT.")
@click.option("--delete", is_flag=True, help="Delete objects under the prefix that are not in PATH.")
@click.option("--dry-run", is_flag=True, help="Hash, compare and say what would be sent; change nothing.")
@click.option("--streams", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Volume datasets: parallel streams into the transfer pod.")
@click.option("--deadline", type=click.IntRange(60, 21600), default=3600, show_default=True,
              help="Volume datasets: seconds the transfer pod may live (activeDeadlineSeconds).")
def data_push_cmd(path: Path, name: str, project: Path, **options) -> None:
    """Upload PATH (a file or folder) to where dataset NAME reads from: its S3 prefix, or for a
    `push` dataset its volume. A re-run sends only what is missing or changed."""
    from .commands.data_push import PushOptions, push

    sys.exit(push(project, path, name, PushOptions(**options)))


def run() -> None:
    """Parse sys.argv with click and run the command; click's own failures map to exit codes here,
    the rest goes to the error boundary in `cli.main`."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
