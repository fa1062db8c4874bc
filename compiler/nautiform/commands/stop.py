"""`nautiform stop WORKLOAD`: stop a workload's runs; never touch a volume.

The workload's running Jobs and interactive Pods (only those this repository's applies created)
are deleted with their pods, under the project's apply lease so a concurrent apply cannot recreate
them half-way. Each stopped Job is recorded `stopped` in the ledger: apply holds it (never starts
it again silently) and `nautiform rerun WORKLOAD` is the way to run it again. An interactive pod is
not held: apply starts a fresh one, as after its deadline.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import kube, lease, livestate, termout
from .. import ledger as ledgers
from ..owner import commit_id, is_top_level, ownership
from ..projectview import view_or_exit
from ..runs import job_state


def stop(path: Path, workload: str) -> int:
    view = view_or_exit(path, workload)
    if view is None:
        return 1
    try:
        live = livestate.read(view, with_events=False)
        holder = lease.holder_id(live.repo, commit_id())
        lease.acquire(view.project, view.namespace, holder)
        try:
            return _stop(view, live, workload)
        finally:
            lease.release(view.project, view.namespace, holder)
    except lease.Busy as exc:
        print(f"error: an apply of {view.project} is running: {exc}\n  hint: nothing was stopped; try again when "
              "it has finished", file=sys.stderr)
        return 4
    except kube.KubeError as exc:
        print(kube.explain(exc), file=sys.stderr)
        return 1


def _stop(view, live, workload: str) -> int:
    jobs, pods = live.of(workload)
    tops = [o for o in jobs + pods if is_top_level(o)]
    ours = [o for o in tops if ownership(o, view.project, live.repo) == "ours"]
    for o in tops:
        if o not in ours:
            print(f"  left      {o['kind'].lower()}/{o['metadata']['name']}: not created by nautiform from this "
                  "repository")
    running = [o for o in ours if _running(o)]
    for o in ours:
        if o not in running:
            print(f"  left      {o['kind'].lower()}/{o['metadata']['name']}: already {_ended(o)}")
    if not running:
        print(f"nothing of {workload} is running")
        return 0
    stopped_jobs = []
    for o in running:
        kind, name = o["kind"].lower(), o["metadata"]["name"]
        termout.progress(f"stopping {kind}/{name} (waiting for its pods to end)…")
        kube.run("delete", kind, name, "-n", view.namespace, "--cascade=foreground", "--wait=true",
                 "--timeout=300s", "--ignore-not-found")
        termout.progress("")
        print(f"  stopped   {kind}/{name}", flush=True)
        if kind == "job":
            stopped_jobs.append(name)
    if stopped_jobs:
        def change(book) -> bool:
            for name in stopped_jobs:
                ledgers.stop(book, name, workload)
            return True
        if ledgers.update(view.namespace, view.project, live.repo, view.file, change) is None:
            print("warning: the project's ledger is missing or unreadable, so the stop is not recorded; apply holds "
                  "runs it cannot account for anyway", file=sys.stderr)
        print(f"held: apply will not start {workload} again; `nautiform rerun {workload}` starts it again")
    if len(stopped_jobs) < len(running):
        print(f"note: {workload} is interactive; the next apply starts a fresh pod")
    print("volumes are untouched")
    return 0


def _running(obj: dict) -> bool:
    if obj["kind"] == "Job":
        return job_state(obj) not in ("succeeded", "failed")
    return (obj.get("status") or {}).get("phase") in ("Pending", "Running", None)


def _ended(obj: dict) -> str:
    return job_state(obj) if obj["kind"] == "Job" else (obj.get("status") or {}).get("phase", "ended").lower()
