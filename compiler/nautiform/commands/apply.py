"""`nautiform apply`: server-side apply of generated/, prune what the project no longer declares.

Three lifecycle failures of GitOps tools are made impossible here:
- pruning never deletes a PersistentVolumeClaim (and PVCs carry keep annotations for other tools);
- a changed Job spec is a new Job name (compile), so applying never hits "field is immutable";
- a Job removed by ttlSecondsAfterFinished is not re-created: a ledger ConfigMap remembers
  every Job name applied, and a Job in the ledger that is gone from the cluster already ran.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import kube
from ..dataloss import pvc_losses
from ..manifests import Obj, parse_tree
from ..writer import read_tree

FIELD_MANAGER = "nautiform"
PRUNED_KINDS = "jobs.batch,pods,configmaps,persistentvolumeclaims"
_KIND = {"Job": "job", "Pod": "pod", "ConfigMap": "configmap", "PersistentVolumeClaim": "pvc"}


def ledger_name(project: str) -> str:
    return f"{project}-nautiform-ledger"


def apply(out: Path, allow_data_loss: bool, dry_run: bool) -> int:
    objs = parse_tree(read_tree(out))
    if not objs:
        print(f"error: {out}/ has no manifests\n  hint: run `nautiform compile` first", file=sys.stderr)
        return 1
    namespace, project = objs[0].namespace, objs[0].project
    try:
        return _apply(objs, namespace, project, allow_data_loss, dry_run)
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _apply(objs: list[Obj], namespace: str, project: str, allow_data_loss: bool, dry_run: bool) -> int:
    live = kube.get(namespace, PRUNED_KINDS, f"nautiform.io/project={project}")
    live_by_key = {(o["kind"], o["metadata"]["name"]): o for o in live}
    declared = {o.key for o in objs}
    ledger = _read_ledger(namespace, project)

    live_pvcs = {o["metadata"]["name"]: o for o in live if o["kind"] == "PersistentVolumeClaim"}
    wanted_pvcs = {o.name: o.body for o in objs if o.kind == "PersistentVolumeClaim"}
    losses = pvc_losses(live_pvcs, wanted_pvcs)
    for loss in losses:
        print(f"DATA LOSS: PersistentVolumeClaim {loss.name} {loss.what}: {loss.detail}", file=sys.stderr)
    if losses and not allow_data_loss:
        print("refusing to apply: nothing was changed\n  hint: restore the volume in project.yaml, or pass "
              "--allow-data-loss (the PVC is still never deleted; delete it by hand)", file=sys.stderr)
        return 1
    # Volumes whose change needs a new volume cannot be applied at all: leave them as they are.
    frozen = {loss.name for loss in losses if loss.what in ("storage class", "access mode", "shrunk")}

    to_apply, report = [], []
    for o in objs:
        if o.kind == "Job" and o.name in ledger and o.key not in live_by_key:
            report.append(f"  skipped   job/{o.name}: it already ran and was removed after its TTL")
        elif o.kind == "PersistentVolumeClaim" and o.name in frozen:
            report.append(f"  kept      pvc/{o.name} unchanged (see DATA LOSS above)")
        else:
            to_apply.append(o)
            verb = "updated" if o.key in live_by_key else "created"
            report.append(f"  applied   {_KIND[o.kind]}/{o.name}" + ("" if dry_run else f" ({verb})"))
    args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-"]
    if dry_run:
        args.insert(1, "--dry-run=server")
    if to_apply:
        kube.run(*args, stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [o.body for o in to_apply]}))

    for kind, name in sorted(set(live_by_key) - declared):
        if kind == "PersistentVolumeClaim":
            report.append(f"  kept      pvc/{name}: no longer declared; nautiform never deletes a volume "
                          f"(`kubectl delete pvc {name} -n {namespace}` if you mean it)")
            continue
        if not dry_run:
            kube.run("delete", _KIND[kind], name, "-n", namespace, "--wait=false", "--ignore-not-found")
        report.append(f"  pruned    {_KIND[kind]}/{name}")
    if not dry_run:
        _write_ledger(namespace, project, {o.name for o in objs if o.kind == "Job"})
    mode = "server dry-run of" if dry_run else "applied"
    print(f"nautiform apply: {mode} {len(to_apply)} object(s) in namespace {namespace}")
    print("\n".join(report))
    return 0


def _read_ledger(namespace: str, project: str) -> set[str]:
    cm = kube.get_one(namespace, "configmap", ledger_name(project))
    text = ((cm or {}).get("data") or {}).get("jobs", "")
    return {line for line in text.splitlines() if line}


def _write_ledger(namespace: str, project: str, jobs: set[str]) -> None:
    """Only Jobs still declared are remembered: a removed-then-restored workload runs again."""
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": ledger_name(project), "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "nautiform", "nautiform.io/ledger": project}},
            "data": {"jobs": "".join(f"{name}\n" for name in sorted(jobs))}}
    kube.run("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-",
             stdin=json.dumps(body))
