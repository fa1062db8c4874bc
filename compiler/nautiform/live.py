"""Read what the cluster holds for a project: the one place `plan`, `apply` and `rerun` look."""
from __future__ import annotations

from . import kube
from . import ledger as ledgers
from .owner import PROJECT_LABEL, REPO
from .reconcile import Snapshot

_RBAC = ("ServiceAccount", "Role", "RoleBinding")  # the gate's: listed only by projects that have one
KINDS = ("jobs.batch,pods,configmaps,persistentvolumeclaims,serviceaccounts,roles.rbac.authorization.k8s.io,"
         "rolebindings.rbac.authorization.k8s.io")
_REF = {"Job": "job.batch", "Pod": "pod", "ConfigMap": "configmap", "PersistentVolumeClaim": "persistentvolumeclaim",
        "ServiceAccount": "serviceaccount", "Role": "role.rbac.authorization.k8s.io",
        "RoleBinding": "rolebinding.rbac.authorization.k8s.io"}


def snapshot(tree, repo: str) -> Snapshot:
    ns, project = tree.namespace, tree.project
    kinds = KINDS if any(o.kind in _RBAC for o in tree.objs) else KINDS.split(",serviceaccounts")[0]
    labelled = kube.get(ns, kinds, f"{PROJECT_LABEL}={project}")
    have = {(o["kind"], o["metadata"]["name"]) for o in labelled}
    missing = [f"{_REF[o.kind]}/{o.name}" for o in tree.objs if (o.kind, o.name) not in have]
    named = [o for o in labelled if (o["kind"], o["metadata"]["name"]) in {(d.kind, d.name) for d in tree.objs}]
    named += kube.get_names(ns, missing)
    ledger = ledgers.read(ns, project, repo, tree.project_file)
    others = [cm for cm in kube.get(ns, "configmaps", ledgers.LEDGER_LABEL)
              if cm["metadata"].get("labels", {}).get(ledgers.LEDGER_LABEL) != project
              and cm["metadata"].get("annotations", {}).get(REPO) == repo]
    return Snapshot(labelled, named, ledger, others)
