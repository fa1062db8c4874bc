"""What the deploy account may do: one table, read by `apply --dry-run` (it asks `auth can-i` for each
verb it will use) and by `nautiform rbac` (the Role it writes). Nothing here may delete a
PersistentVolumeClaim: "never deletes a volume" must not rest on nautiform's code alone.
"""
from __future__ import annotations

# (verb, resource) apply needs for each kind of action it takes (reconcile.py's verbs).
FOR_ACTION = {
    "create": [("create", r) for r in ("persistentvolumeclaims", "configmaps", "jobs.batch", "pods")],
    "update": [("patch", r) for r in ("persistentvolumeclaims", "configmaps")],
    "recreate": [("delete", "pods"), ("create", "pods")],
    "prune": [("delete", r) for r in ("configmaps", "jobs.batch", "pods")],
    "release": [("patch", "persistentvolumeclaims")],
}
# Needed by every apply: reading the project, writing its ledger, holding its lease.
ALWAYS = [("list", "jobs.batch"), ("list", "pods"), ("list", "configmaps"), ("list", "persistentvolumeclaims"),
          ("get", "configmaps"), ("create", "configmaps"), ("update", "configmaps"),
          ("get", "leases.coordination.k8s.io"), ("create", "leases.coordination.k8s.io"),
          ("update", "leases.coordination.k8s.io"), ("delete", "leases.coordination.k8s.io")]


def needed(actions) -> set[tuple[str, str]]:
    out = set(ALWAYS)
    for a in actions:
        out.update(FOR_ACTION.get(a.verb, []))
    return out
