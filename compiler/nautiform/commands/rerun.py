"""`nautiform rerun WORKLOAD [--failed] [--stop]`: run a finished (or stuck) run again, on purpose.

`apply` never re-runs what the ledger says ran: GPU-hours are spent only on what changed. When the
user wants a run again (a flaky node, new data behind the same URL, failed sweep points), this is
the one way: the ledger forgets the run (or a sweep's points: all, or with --failed only the failed
ones), its finished Jobs are removed, and it is created anew. A run that is still going is stopped
only with --stop, so a typo never kills a week of training.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import kube, lease, live, sweeps
from .. import ledger as ledgers
from ..owner import commit_id, repo_identity
from ..reconcile import workload_of
from .apply import _save_ledger, _ssa, load, marked, observe


def rerun(out: Path, workload: str, stop: bool, failed: bool = False) -> int:
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
            return _rerun(tree, repo, commit, objs, stop, failed)
        finally:
            lease.release(tree.project, tree.namespace, holder)
    except lease.Busy as exc:
        print(f"error: an apply of {tree.project} is running: {exc}\n  hint: try again when it has finished",
              file=sys.stderr)
        return 4
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _rerun(tree, repo: str, commit: str, objs, stop: bool, failed: bool) -> int:
    snap = live.snapshot(tree, repo)
    book = snap.ledger
    observe(book, snap)
    mine = [o for o in snap.labelled if o["kind"] in ("Job", "Pod") and not o["metadata"].get("ownerReferences")
            and workload_of(o) == workload_of(objs[0].body)]
    running = [o for o in mine if o["kind"] == "Pod" or ledgers.job_outcome(o) is None]
    if running and not stop and not failed:
        names = ", ".join(f"{o['kind'].lower()}/{o['metadata']['name']}" for o in running)
        print(f"error: {names} still running\n  hint: `nautiform rerun {workload_of(objs[0].body)} --stop` stops "
              "it and starts over", file=sys.stderr)
        return 1
    for o in mine:
        if o in running and (failed or not stop):
            continue
        kind, name = o["kind"].lower(), o["metadata"]["name"]
        kube.run("delete", kind, name, "-n", tree.namespace, "--cascade=foreground", "--wait=true", "--timeout=120s")
        print(f"  {'stopped' if o in running else 'removed':<9} {kind}/{name}")
    for o in objs:
        if o.kind == "Job" and sweeps.is_sweep(o.body):
            forgotten = sweeps.forget(book, workload_of(o.body), failed_only=failed)
            print(f"  forgot    {forgotten} point(s) of sweep {workload_of(o.body)}")
            cms = {x.name: x.body for x in tree.objs if x.kind == "ConfigMap"}
            kept = [j for j in mine if j in running and (failed or not stop)]
            verb, name, reason, body, _ = sweeps.plan(o.body, cms, kept,
                                                      {c["metadata"]["name"]: c for c in snap.labelled
                                                       if c["kind"] == "ConfigMap"}, book)
            if body is None:
                print(f"  {verb:<9} job/{name}: {reason}")
                continue
            o = o._replace(body=body)
        ledgers.forget(book, [o.name] + [n for n, e in book.runs.items()
                                         if e.get("workload") == workload_of(o.body) and e.get("state") == "stopped"])
        created = _ssa(o.body)
        if o.kind == "Job":
            ledgers.record_created(book, created, workload_of(o.body), commit)
        print(f"  created   {o.kind.lower()}/{o.name}: runs again")
    _save_ledger(book, tree, repo)
    return 0
