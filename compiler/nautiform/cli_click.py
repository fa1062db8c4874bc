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
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json", "codequality"]), default="text",
                       show_default=True, help="How to print diagnostics (codequality: GitLab's report on stdout, "
                       "the text on stderr).")


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
@click.option("--allow-move", is_flag=True, help="Do not fail on a project rename or namespace move.")
@click.option("--cluster/--no-cluster", default=None, help="Also plan against the live cluster (default: when "
              "KUBECONFIG is set).")
def plan_cmd(out: Path, base: str | None, allow_data_loss: bool, markdown: Path | None, allow_move: bool,
             cluster: bool | None) -> None:
    """Show what merging will do; exit 1 if it would lose data or move the project."""
    from .commands.plan import plan

    sys.exit(plan(out, base, allow_data_loss, markdown, allow_move, cluster))


@cli.command("apply")
@_OUT
@click.option("--allow-data-loss", is_flag=True, help="Apply even if a PVC was removed or changed (never deletes it).")
@click.option("--dry-run", is_flag=True, help="Check permissions and let the API server validate every write; "
              "nothing changes.")
@click.option("--allow-move", is_flag=True, help="Deploy although this repository's project was renamed (the old "
              "project's runs and volumes stay where they are).")
@click.option("--value", "value", multiple=True, metavar="NAME=TEXT", help="A submit-time value (project.yaml "
              "`values`); also NAUTIFORM_VALUE_<NAME> or the value's `from_env`.")
def apply_cmd(out: Path, allow_data_loss: bool, dry_run: bool, allow_move: bool, value: tuple) -> None:
    """Apply --out to the cluster in KUBECONFIG; prune only what this project's earlier applies created."""
    from .commands.apply import apply

    sys.exit(apply(out, allow_data_loss, dry_run, allow_move, value))


@cli.command("rerun")
@click.argument("workload")
@_OUT
@click.option("--stop", is_flag=True, help="Stop the run first if it is still going.")
@click.option("--failed", is_flag=True, help="A sweep: run only its failed points again.")
def rerun_cmd(workload: str, out: Path, stop: bool, failed: bool) -> None:
    """Run WORKLOAD again on purpose (apply never re-runs what already ran)."""
    from .commands.rerun import rerun

    sys.exit(rerun(out, workload, stop, failed))


def _namespace(out: Path, namespace: str | None) -> str:
    if namespace:
        return namespace
    from .commands.apply import load

    tree = load(out)
    if tree is None:
        sys.exit(1)
    return tree.namespace


@cli.command("release")
@click.argument("kind")
@click.argument("name")
@_OUT
@click.option("--namespace", default=None, help="Namespace (default: the one in --out).")
def release_cmd(kind: str, name: str, out: Path, namespace: str | None) -> None:
    """Stop managing a volume (`release pvc NAME`); the claim and its data stay."""
    from .commands.release import release

    sys.exit(release(kind, name, _namespace(out, namespace)))


@cli.command("cleanup")
@click.argument("project")
@_OUT
@click.option("--namespace", default=None, help="Namespace (default: the one in --out).")
@click.option("--yes", is_flag=True, help="Do it (without: only show what would be done).")
def cleanup_cmd(project: str, out: Path, namespace: str | None, yes: bool) -> None:
    """Remove what an earlier name of this project left behind: stop its runs, release its volumes."""
    from .commands.release import cleanup

    sys.exit(cleanup(project, _namespace(out, namespace), yes))


@cli.command("mr-note")
@click.argument("path", type=click.Path(path_type=Path))
def mr_note_cmd(path: Path) -> None:
    """Post PATH (plan --markdown) as the merge request's one plan note, or update it in place.

    Only with NAUTIFORM_GITLAB_TOKEN set (a project access token with api scope) in a merge-request
    pipeline; otherwise the plan stays the job's artifact."""
    from .commands.mrnote import mr_note

    sys.exit(mr_note(path))


@cli.command("rbac")
@_OUT
@click.option("--name", default="nautiform-deploy", show_default=True, help="Name of the account, Role and binding.")
@click.option("--namespace", default=None, help="Namespace (default: the one in --out).")
@click.option("--token-secret/--no-token-secret", default=True, show_default=True,
              help="Also write a Secret holding a long-lived token for the account (for the CI variable).")
def rbac_cmd(out: Path, name: str, namespace: str | None, token_secret: bool) -> None:
    """Print the deploy job's ServiceAccount, Role (exactly the verbs nautiform uses) and RoleBinding."""
    from .commands.account import rbac_command

    sys.exit(rbac_command(out, name, namespace, token_secret))


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--name", default=None, help="Project name (default: the directory's name).")
@click.option("--namespace", default=None, help="Your namespace on the cluster (default: the current kubectl "
              "context's, else the project name).")
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


_PROJECT = click.option("--project", "path", type=click.Path(path_type=Path), default="project.yaml",
                        show_default=True, help="The project file; workload names come from it.")
_PORTAL = click.option("--portal", "portal_opt", is_flag=False, flag_value="", default=None, metavar="[URL]",
                       help="Read free GPUs from NRP's public node feed (default URL https://portal.nrp.ai/rpc; "
                       "env NAUTIFORM_PORTAL_URL).")


@cli.command("status")
@click.argument("workload", required=False)
@_PROJECT
@_FORMAT
@click.option("--watch", is_flag=True, help="Refresh until Ctrl-C.")
@click.option("--interval", type=click.FloatRange(min=1), default=5, show_default=True, help="Seconds between "
              "refreshes with --watch.")
@_PORTAL
@click.option("--prometheus", "prometheus_opt", is_flag=False, flag_value="", default=None, metavar="[URL]",
              help="Read GPU use from Prometheus (default URL https://prometheus.nrp-nautilus.io; env "
              "NAUTIFORM_PROMETHEUS_URL).")
def status_cmd(workload, path: Path, fmt: str, watch: bool, interval: float, portal_opt, prometheus_opt) -> None:
    """Every workload (or WORKLOAD): its live runs, a sweep's points, and why anything is stuck."""
    from .commands.status import status

    sys.exit(status(path, workload, fmt, watch, interval, portal_opt, prometheus_opt))


_POINT = click.option("--point", type=click.IntRange(min=0), default=None, help="A sweep's point (its number in "
                      "`nautiform status`).")
_CONTAINER = click.option("--container", "-c", default=None, help="Container (default: main).")
_PRINT = click.option("--print", "show", is_flag=True, help="Print the kubectl command instead of running it.")


@cli.command("logs")
@click.argument("workload")
@_PROJECT
@_POINT
@click.option("-f", "--follow", is_flag=True, help="Stream new output.")
@click.option("--previous", is_flag=True, help="The previous (crashed) container's output.")
@click.option("--tail", type=int, default=None, help="Only the last N lines.")
@_CONTAINER
@_PRINT
def logs_cmd(workload, path, point, follow, previous, tail, container, show) -> None:
    """Show the output of WORKLOAD's pod (the newest run; a sweep's with --point)."""
    from .commands.reach import logs

    sys.exit(logs(path, workload, point, follow, previous, tail, container, show))


@cli.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("workload")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@_PROJECT
@_POINT
@_CONTAINER
@_PRINT
def exec_cmd(workload, command, path, point, container, show) -> None:
    """Run COMMAND (default: a shell) in WORKLOAD's running pod: `nautiform exec dev -- nvidia-smi`."""
    from .commands.reach import exec_

    sys.exit(exec_(path, workload, point, tuple(command), container, show))


@cli.command("port-forward")
@click.argument("workload")
@click.argument("port")
@_PROJECT
@_POINT
@click.option("--address", default="127.0.0.1", show_default=True, help="Local address to listen on.")
@_PRINT
def port_forward_cmd(workload, port, path, point, address, show) -> None:
    """Forward local PORT (or LOCAL:REMOTE) to WORKLOAD's running pod, e.g. a notebook on 8888."""
    from .commands.reach import port_forward

    sys.exit(port_forward(path, workload, port, point, address, show))


@cli.command("stop")
@click.argument("workload")
@_PROJECT
def stop_cmd(workload, path) -> None:
    """Stop WORKLOAD's runs (volumes untouched); apply will not restart them, `nautiform rerun` does."""
    from .commands.stop import stop

    sys.exit(stop(path, workload))


@cli.command("gpus")
@_PROJECT
@_FORMAT
@_PORTAL
@click.option("--dry-run/--no-dry-run", default=True, show_default=True, help="Also send each workload to the "
              "API server as a server-side dry run (admission: quotas, policies).")
def gpus_cmd(path, fmt, portal_opt, dry_run) -> None:
    """Which GPUs are free now, per product and region, and whether each workload fits."""
    from .commands.gpus import gpus

    sys.exit(gpus(path, fmt, portal_opt, dry_run))


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
