"""`nautiform release pvc NAME` and `nautiform cleanup PROJECT`: let go of things without losing data.

release: a volume leaves the project — nautiform's labels and marks are removed, the claim and its
data stay, and nautiform will never touch it again (use it through `existing_claim`, or delete it by
hand once nothing mounts it). cleanup: what an earlier name of this repository's project left
behind after a rename — its runs are stopped, its ConfigMaps and ledger removed, its volumes
released with their data.
"""
from __future__ import annotations

import sys

from .. import kube, volumes
from .. import ledger as ledgers
from ..owner import PROJECT_LABEL, is_top_level, ownership, repo_identity
from .apply import release_claim


def release(kind: str, name: str, namespace: str) -> int:
    if kind not in ("pvc", "persistentvolumeclaim"):
        print(f"error: only volumes are released (got {kind!r})\n  hint: nautiform release pvc NAME", file=sys.stderr)
        return 1
    try:
        claim = kube.get_one(namespace, "pvc", name)
        if claim is None:
            print(f"error: no pvc/{name} in namespace {namespace}", file=sys.stderr)
            return 1
        project = claim["metadata"].get("labels", {}).get(PROJECT_LABEL)
        if not project or ownership(claim, project, repo_identity()) != "ours":
            print(f"error: pvc/{name} is not managed by nautiform from this repository; nothing to release",
                  file=sys.stderr)
            return 1
        release_claim(namespace, name)
        users = volumes.mounted_by(kube.get(namespace, "pods", PROJECT_LABEL), name)
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"released pvc/{name} from project {project}: the claim and its data stay; nautiform no longer manages it")
    print(f"  to keep using it, declare it as `{{existing_claim: {name}}}`" +
          (f"; mounted now by {', '.join(users)}" if users else f"; to delete it: kubectl -n {namespace} delete pvc "
                                                                  f"{name}"))
    return 0


def cleanup(project: str, namespace: str, yes: bool) -> int:
    repo = repo_identity()
    try:
        objs = [o for o in kube.get(namespace, "jobs.batch,pods,configmaps,persistentvolumeclaims",
                                    f"{PROJECT_LABEL}={project}")
                if is_top_level(o) and ownership(o, project, repo) == "ours"]
        book = kube.get_one(namespace, "configmap", ledgers.ledger_name(project))
        if not objs and book is None:
            print(f"nothing of project {project} from this repository in {namespace}")
            return 0
        for o in objs:
            kind, name = o["kind"], o["metadata"]["name"]
            verb = "release (data kept)" if kind == "PersistentVolumeClaim" else "delete"
            print(f"  {verb:<20} {kind.lower()}/{name}")
            if yes:
                if kind == "PersistentVolumeClaim":
                    release_claim(namespace, name)
                else:
                    kube.run("delete", kind.lower(), name, "-n", namespace, "--wait=false", "--ignore-not-found")
        if book is not None:
            print(f"  {'delete':<20} configmap/{ledgers.ledger_name(project)} (its ledger)")
            if yes:
                kube.run("delete", "configmap", ledgers.ledger_name(project), "-n", namespace, "--ignore-not-found")
    except kube.KubeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not yes:
        print("nothing done yet: run again with --yes")
    return 0
