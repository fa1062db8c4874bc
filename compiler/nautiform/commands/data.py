"""`nautiform data fetch NAME [--to DIR]`: the cluster's fetch, on your machine, before using cluster time.

Runs the same runtime as the data Job (runtime/nautiform_data.py) with the same spec, except
that S3 uses the profile's endpoint from outside the cluster. Credentials come from your environment
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, HF_TOKEN, GIT_USERNAME / GIT_PASSWORD).
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import report
from ..pipeline import compile_file


def fetch(path: Path, name: str, to: Path, force: bool) -> int:
    from ..derive import runtime_spec
    from ..runtime import nautiform_data as runtime

    result = compile_file(path, None)
    if not result.ok:
        print(report.text(result.diagnostics, report.source_lines_of(path)), file=sys.stderr)
        return 1
    resolved = result.project
    if name not in resolved.project.datasets:
        known = ", ".join(resolved.project.datasets) or "none"
        print(f"error: no dataset {name!r} in {path.name}\n  hint: declared datasets: {known}", file=sys.stderr)
        return 1
    spec = runtime_spec(resolved.project, resolved.profile, name, endpoint_key="outside")
    dest = to / name
    try:
        marker = runtime.fetch(spec, dest=str(dest), force=force)
    except runtime.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "already up to date" if marker.get("skipped") else "fetched and verified"
    print(f"{name}: {state} at {dest} ({marker.get('identity', '')})")
    return 0
