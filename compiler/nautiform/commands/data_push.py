"""`nautiform data push PATH NAME`: put a local file or folder where dataset NAME reads from.

An `s3` dataset: its bucket and prefix, through the profile's outside endpoint (s3push.py). A
`push` dataset: its volume, through a short-lived transfer pod (volpush.py). Either way a re-run
sends only what is missing or changed, everything sent is verified, and the data counts as
published only when the last step (manifest, or marker) is written.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from .. import report
from ..pipeline import compile_file
from ..progress import Progress, count, human, rate
from ..pushfiles import PushError, hash_all, scan


class PushOptions(NamedTuple):
    tool: str | None = None  # None: the dataset's own
    workers: int | None = None
    endpoint: str | None = None
    profile: str | None = None
    credentials_file: Path | None = None
    rclone_remote: str | None = None
    part_size_mib: int = 50
    delete: bool = False
    dry_run: bool = False
    streams: int = 4
    deadline: int = 3600
    pod_timeout: int = 300


def push(project: Path, path: Path, name: str, opts: PushOptions) -> int:
    from ..runtime.nautiform_data import DataError

    try:
        return _push(project, path, name, opts)
    except PushError as exc:
        print(f"error: {exc}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return 1
    except DataError as exc:  # the runtime's checks (tool, spec), shared with the cluster
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was published as complete; run the same command again to resume "
              "(files already sent are not sent again)", file=sys.stderr)
        return 130


def _push(project: Path, path: Path, name: str, opts: PushOptions) -> int:
    if not path.exists():
        raise PushError(f"{path} does not exist", "give the file or folder to push")
    result = compile_file(project, None)
    if not result.ok:
        print(report.text(result.diagnostics, report.source_lines_of(project)), file=sys.stderr)
        return 1
    resolved = result.project
    ds = resolved.project.datasets.get(name)
    if ds is None:
        raise PushError(f"no dataset {name!r} in {project.name}", _declare_hint(resolved, name))
    kind = ds.source.kind
    if kind not in ("s3", "push"):
        raise PushError(f"dataset {name!r} reads from {kind}, which nautiform cannot upload to",
                        "push to a dataset whose source is `s3` (a bucket) or `push: {}` (its volume)")
    files = scan(path)

    def digests() -> list:
        """Called once the cheap checks (credentials, bucket, volume, tool) passed: hashing is the slow part."""
        total = sum(f.size for f in files)
        progress = Progress("hashing", len(files), total)
        out = hash_all(files, opts.part_size_mib << 20, os.cpu_count() or 2, lambda f: progress.add(1, f.size))
        progress.close()
        print(f"{name}: {count(len(out), 'file')}, {human(total)} in {path} (hashed in {progress.seconds():.1f} s)")
        return out

    if kind == "s3":
        return _to_s3(resolved, name, digests, opts)
    from .. import volpush

    return volpush.push(resolved, name, digests, opts)


def _declare_hint(resolved, name: str) -> str:
    volume = next(iter(resolved.project.volumes), "VOLUME")
    known = ", ".join(resolved.project.datasets) or "none"
    return (f"declared datasets: {known}. To push to a volume, add to project.yaml:\n"
            f"    datasets:\n      {name}:\n        source: {{push: {{}}}}\n        volume: {volume}\n"
            f"  or give it an s3 source (bucket, prefix, credentials) to push to a bucket")


def _to_s3(resolved, name: str, digests, opts: PushOptions) -> int:
    from ..derive import runtime_spec
    from ..runtime import nautiform_data as nd
    from .. import s3creds, s3push
    from ..s3upload import Target

    spec = runtime_spec(resolved.project, resolved.profile, name, endpoint_key="outside")
    src = nd.check_spec({**spec, "dest": "/"})["source"]  # the prefix as the runtime reads it
    if not (opts.endpoint or src.get("endpoint")):
        raise PushError(f"no S3 endpoint for dataset {name!r}", "pass --endpoint URL")
    target = Target(src["bucket"], src["prefix"], (opts.endpoint or src["endpoint"]).rstrip("/"),
                    src.get("region") or os.environ.get("AWS_REGION") or "us-east-1")
    creds = s3creds.resolve(opts.profile, opts.credentials_file, opts.rclone_remote)
    tool = nd.pick_s3_tool(opts.tool or src["tool"])
    objects, manifest = s3push.remote_state(target, creds)
    files = digests()
    plan = s3push.make_plan(files, objects, manifest)
    where = f"{target.url} at {target.endpoint}"
    if s3push.is_current(plan, files):
        print(f"nothing to send: {where} already holds these {count(len(files), 'file')}, complete")
        print(_consumer(resolved, name))
        return 0
    nsend = sum(f.size for f in plan.send)
    print(f"{name}: {count(len(plan.send), 'file')} ({human(nsend)}) to send, {len(plan.same):,} unchanged, "
          f"{len(plan.extra):,} to delete, to {where} (credentials: {creds.origin})")
    if opts.dry_run:
        for f in plan.send:
            print(f"  would send {f.rel} ({human(f.size)})")
        for rel in plan.extra:
            print(f"  would {'delete' if opts.delete else 'refuse because of'} {rel}")
        return 0
    progress = Progress("pushing", len(plan.send), nsend)
    result = s3push.push(files, plan, target, creds, tool, opts.workers or src["workers"], opts.part_size_mib,
                         opts.delete, lambda f: progress.add(1, f.size))
    progress.close()
    total = sum(f.size for f in files)
    verified = "sizes and ETags" if not result.size_only else f"sizes, and ETags of all but {result.size_only}"
    print(f"pushed {count(len(result.sent), 'file')}, {human(nsend)} in {result.seconds:.1f} s "
          f"({rate(nsend, result.seconds)}); {len(result.same):,} unchanged; {len(result.deleted):,} deleted; "
          f"verified {verified}")
    print(f"{target.url} is complete: {count(len(files), 'file')}, {human(total)}, listed with their sha256 in "
          f"{nd.MANIFEST}")
    print(_consumer(resolved, name))
    return 0


def _consumer(resolved, name: str) -> str:
    ds = resolved.datasets[name]
    use = (f"its data Job copies it onto volume {ds.volume.name} at {ds.dest}" if ds.volume
           else "each pod that lists it stages it into scratch")
    return (f"dataset {name} reads from there, so project.yaml needs no change: {use} and checks every "
            f"file's sha256 (`nautiform data fetch {name}` does the same here)")
