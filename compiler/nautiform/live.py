"""Read what the cluster holds for a project: the one place `plan`, `apply` and `rerun` look."""
from __future__ import annotations

from . import kube
from . import ledger as ledgers
from .owner import PROJECT_LABEL, REPO
from .reconcile import Snapshot

# Listed only by projects that declare them (the gate's and a search driver's account; a multi-node run's
# Service; a `kind: service` workload's Deployment), so a deploy account needs those permissions only where
# they are used.
_EXTRA = {"ServiceAccount": "serviceaccounts", "Role": "roles.rbac.authorization.k8s.io",
          "RoleBinding": "rolebindings.rbac.authorization.k8s.io", "Service": "services",
          "Deployment": "deployments.apps"}
KINDS = "jobs.batch,pods,configmaps,persistentvolumeclaims"
_REF = {"Job": "job.batch", "Pod": "pod", "ConfigMap": "configmap", "PersistentVolumeClaim": "persistentvolumeclaim",
        "ServiceAccount": "serviceaccount", "Role": "role.rbac.authorization.k8s.io",
        "RoleBinding": "rolebinding.rbac.authorization.k8s.io", "Service": "service",
        "Deployment": "deployment.apps"}


def snapshot(tree, repo: str) -> Snapshot:
    ns, project = tree.namespace, tree.project
    kinds = ",".join([KINDS] + sorted({_EXTRA[o.kind] for o in tree.objs if o.kind in _EXTRA}))
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
