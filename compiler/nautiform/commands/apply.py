"""`nautiform apply`: make the cluster hold what generated/ declares, touching only what nautiform owns.

The decisions are reconcile.py's (the same ones `plan` shows); this module takes the project's
lease, executes them in a safe order — volumes and ConfigMaps, then Jobs and Pods, then prunes —
prints each action as it happens, and keeps the ledger true. A failure stops the apply and says
what was done and what was not.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .. import kube, lease, live, sweeps, values
from .. import ledger as ledgers
from ..manifests import Obj, TreeError, declared_tree
from ..owner import COMMIT, FIELD_MANAGER, MUTABLE_KINDS, SPEC, commit_id, digest, marks, repo_identity
from ..reconcile import SHORT, after_of, reconcile, workload_of
from ..writer import read_tree
from . import show

BUSY = 4  # another apply of the project holds its lease; nothing was changed
_ORDER = {"PersistentVolumeClaim": 0, "ConfigMap": 1, "ServiceAccount": 1, "Role": 1, "RoleBinding": 1, "Service": 1,
          "Pod": 2, "Job": 2, "Deployment": 2}


def load(out: Path):
    try:
        return declared_tree(read_tree(out))
    except TreeError as exc:
        print(f"error: {out}/: {exc}\n  hint: run `nautiform compile` first", file=sys.stderr)
        return None


def marked(tree, repo: str, commit: str, given: dict | None = None) -> list[Obj]:
    """The declared objects with the ownership marks apply writes (never in generated/: a fork's
    generated/ is byte-identical, its deploys are not the same owner) and the submit-time values filled in
    (values.py; `given` from --value)."""
    out = []
    for o in tree.objs:
        body = values.fill(json.loads(json.dumps(o.body)), given or {}, os.environ)[0]
        notes = body["metadata"].setdefault("annotations", {})
        notes.update(marks(repo, tree.project_file))
        if o.kind in ("Job", "Pod"):
            notes[COMMIT] = commit
        if o.kind in MUTABLE_KINDS:  # updated in place: the declared spec's digest tells a change
            notes[SPEC] = digest(o.body)
        out.append(Obj(o.file, body))
    return out


def apply(out: Path, allow_data_loss: bool, dry_run: bool, allow_move: bool = False, value: tuple = ()) -> int:
    tree = load(out)
    if tree is None:
        return 1
    given, errors = values.parse(value)
    if not errors:  # checked before the lease and the cluster: a missing value changes nothing
        errors = [e for o in tree.objs for e in values.fill(o.body, given, os.environ)[1]]
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        print("refusing to apply: nothing was changed", file=sys.stderr)
        return 1
    repo, commit = repo_identity(), commit_id()
    holder = lease.holder_id(repo, commit)
    try:
        if not dry_run:
            lease.acquire(tree.project, tree.namespace, holder)
        try:
            return _apply(tree, repo, commit, allow_data_loss, dry_run, allow_move, given)
        finally:
            if not dry_run:
                lease.release(tree.project, tree.namespace, holder)
    except lease.Busy as exc:
        print(f"error: another apply of project {tree.project} in {tree.namespace} is running: {exc}\n"
              "  hint: nothing was changed; run the deploy again when it has finished", file=sys.stderr)
        return BUSY
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _apply(tree, repo: str, commit: str, allow_data_loss: bool, dry_run: bool, allow_move: bool, given: dict) -> int:
    snap = live.snapshot(tree, repo)
    seen = observe(snap.ledger, snap)  # first: what ran decides what runs
    outcome = reconcile(marked(tree, repo, commit, given), snap, tree.project, tree.namespace, repo)
    if not show.guards_pass(outcome, tree, allow_data_loss, allow_move, snap):
        print("refusing to apply: nothing was changed", file=sys.stderr)
        return 1
    if dry_run:
        return show.dry_run(outcome, tree)
    book = snap.ledger
    for line in seen:
        print(f"  observed  {line}")
    done: list[str] = []
    try:
        _execute(outcome, tree, book, commit, done)
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _not_done(outcome, done)
        return 1
    finally:
        _save_ledger(book, tree, repo)
    for note in outcome.notes:
        print(f"  note      {note}")
    print(f"nautiform apply: {len(done)} change(s) in namespace {tree.namespace}")
    return 0


def observe(book, snap) -> list[str]:
    """Record in the ledger how the live Jobs (and each sweep's points) have ended so far."""
    jobs = [o for o in snap.labelled if o["kind"] == "Job"]
    configmaps = {o["metadata"]["name"]: o for o in snap.labelled if o["kind"] == "ConfigMap"}
    return ledgers.observe(book, jobs) + sweeps.observe(book, jobs, configmaps)


def _execute(outcome, tree, book, commit: str, done: list) -> None:
    ns = tree.namespace
    deferred: list[dict] = []
    steps = sorted((a for a in outcome.actions if a.verb != "prune"), key=lambda a: _ORDER.get(a.kind, 3))
    for a in steps + [a for a in outcome.actions if a.verb == "prune"]:
        ref = f"{SHORT[a.kind]}/{a.name}"
        if a.verb in ("create", "update"):
            obj = _ssa(a.body)
            if a.kind == "Job":
                ledgers.record_created(book, obj, workload_of(obj), commit)
        elif a.verb == "patch":
            kube.run("patch", "job", a.name, "-n", ns, "--type=merge", "-p", json.dumps(a.body))
        elif a.verb == "recreate":
            kube.run("delete", SHORT[a.kind], a.name, "-n", ns, "--wait=true", "--timeout=120s")
            _ssa(a.body)
        elif a.verb == "prune":
            kube.run("delete", SHORT[a.kind], a.name, "-n", ns, "--wait=false", "--ignore-not-found")
        elif a.verb == "release":
            release_claim(ns, a.name)
        elif a.verb == "hold":
            ledgers.hold(book, a.name, workload_of(a.body))
        elif a.verb == "defer":
            deferred.append({"after": after_of(a.body), "pod": a.body})
        if a.verb in ("create", "update", "patch", "recreate", "prune", "release"):
            done.append(ref)
        print(show.line(a, done=True), flush=True)
    write_gate_plan(tree, deferred)


def write_gate_plan(tree, deferred: list[dict]) -> None:
    """The interactive pods that wait for data: the gate creates them when it is there (runtime/nautiform_gate.py)."""
    from ..builders.gate import names

    name = names(tree.project)["plan"]
    live = kube.get_one(tree.namespace, "configmap", name)
    if live is None and not deferred:
        return
    body: dict = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": tree.namespace,
                         "labels": {"app.kubernetes.io/managed-by": "nautiform", "nautiform.io/gate": tree.project}},
            "data": {"pods.json": json.dumps(deferred, sort_keys=True)}}
    if live is not None:
        body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    kube.run("replace" if live is not None else "create", "-f", "-", stdin=json.dumps(body))


def _ssa(body: dict) -> dict:
    proc = kube.run("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts",
                    "-o", "json", "-f", "-", stdin=json.dumps(body))
    return json.loads(proc.stdout)


def release_claim(namespace: str, name: str) -> None:
    """A claim leaves the project: nautiform's labels, annotations and field ownership go, the data stays."""
    from ..owner import MANAGED_BY, PROJECT_FILE, PROJECT_LABEL, REPO

    kube.run("label", "pvc", name, "-n", namespace, f"{PROJECT_LABEL}-", f"{MANAGED_BY}-",
             "nautiform.io/owner-", "nautiform.io/workload-")
    kube.run("annotate", "pvc", name, "-n", namespace, f"{REPO}-", f"{PROJECT_FILE}-")


def _not_done(outcome, done: list) -> None:
    todo = [f"{SHORT[a.kind]}/{a.name} ({a.verb})" for a in outcome.changes if f"{SHORT[a.kind]}/{a.name}" not in done]
    print(f"apply stopped: done {len(done)} change(s)" + (f" ({', '.join(done)})" if done else "") +
          (f"; NOT done: {', '.join(todo)}" if todo else ""), file=sys.stderr)


def _save_ledger(book, tree, repo: str) -> None:
    """Write the ledger; if another writer got there first, merge our entries into theirs."""
    for _ in range(5):
        try:
            ledgers.write(book, tree.project, tree.namespace, repo)
            return
        except kube.Conflict:
            fresh = ledgers.read(tree.namespace, tree.project, repo, tree.project_file)
            for name, entry in book.runs.items():
                theirs = fresh.runs.get(name)
                if theirs is None or theirs.get("state") == "created":
                    fresh.runs[name] = entry
            book = fresh
    raise kube.KubeError("could not write the ledger: it kept changing under us")
