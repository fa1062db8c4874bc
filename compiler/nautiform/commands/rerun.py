"""`nautiform rerun WORKLOAD`: run a finished (or stuck) run again, on purpose.

`apply` never re-runs a Job the ledger says ran: GPU-hours are spent only on what changed. When the
user wants a run again (a flaky node, new data behind the same URL), this is the one way: the
ledger forgets the run and the declared Job is created anew. A run that is still going is stopped
only with --stop, so a typo never kills a week of training.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import kube, lease, live
from .. import ledger as ledgers
from ..owner import commit_id, repo_identity
from ..reconcile import workload_of
from .apply import _save_ledger, _ssa, load, marked


def rerun(out: Path, workload: str, stop: bool) -> int:
    tree = load(out)
    if tree is None:
        return 1
    repo, commit = repo_identity(), commit_id()
    objs = [o for o in marked(tree, repo, commit) if o.kind in ("Job", "Pod") and workload_of(o.body) == workload]
    if not objs:
        from difflib import get_close_matches

        names = sorted({workload_of(o.body) for o in tree.objs if o.kind in ("Job", "Pod")})
        close = get_close_matches(workload, names, 1)
        print(f"error: no workload {workload!r} in {out}/\n  hint: " +
              (f"did you mean {close[0]!r}? " if close else "") + f"workloads: {', '.join(names)}", file=sys.stderr)
        return 1
    holder = lease.holder_id(repo, commit)
    try:
        lease.acquire(tree.project, tree.namespace, holder)
        try:
            return _rerun(tree, repo, commit, objs, stop)
        finally:
            lease.release(tree.project, tree.namespace, holder)
    except lease.Busy as exc:
        print(f"error: an apply of {tree.project} is running: {exc}\n  hint: try again when it has finished",
              file=sys.stderr)
        return 4
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _rerun(tree, repo: str, commit: str, objs, stop: bool) -> int:
    snap = live.snapshot(tree, repo)
    book = snap.ledger
    ledgers.observe(book, [o for o in snap.labelled if o["kind"] == "Job"])
    named = {(o["kind"], o["metadata"]["name"]): o for o in snap.named}
    for o in objs:
        current = named.get((o.kind, o.name))
        if current is not None:
            running = o.kind == "Pod" or ledgers.job_outcome(current) is None
            if running and not stop:
                print(f"error: {o.kind.lower()}/{o.name} is still running\n  hint: `nautiform rerun "
                      f"{workload_of(o.body)} --stop` stops it and starts it over", file=sys.stderr)
                return 1
            kube.run("delete", o.kind.lower(), o.name, "-n", tree.namespace, "--cascade=foreground", "--wait=true",
                     "--timeout=120s")
            print(f"  stopped   {o.kind.lower()}/{o.name}" if running else f"  removed   {o.kind.lower()}/{o.name}")
        ledgers.forget(book, [o.name])
        created = _ssa(o.body)
        if o.kind == "Job":
            ledgers.record_created(book, created, workload_of(o.body), commit)
        print(f"  created   {o.kind.lower()}/{o.name}: runs again")
    _save_ledger(book, tree, repo)
    return 0
