"""What the deploy account may do: one table, read by `apply --dry-run` (it asks `auth can-i` for each
verb it will use) and by `nautiform rbac` (the Role it writes: every verb of every entry below). Nothing
here may delete a PersistentVolumeClaim: "never deletes a volume" must not rest on nautiform's code alone
(`role_rules` refuses to write such a Role).

Server-side apply sends a PATCH; when the object does not exist yet the API server also checks `create`
(a create-only Role was refused: tests/cluster/test_deploy_account.py). `kubectl label` reads the object
before it patches it; `kubectl delete --wait` reads and watches it until it is gone.
"""
from __future__ import annotations

_WRITTEN = ("persistentvolumeclaims", "configmaps", "jobs.batch", "pods")

# (verb, resource) apply needs for each kind of action it takes (reconcile.py's verbs).
FOR_ACTION = {
    "create": [(v, r) for r in _WRITTEN for v in ("create", "patch")],
    "update": [("patch", r) for r in ("persistentvolumeclaims", "configmaps")],
    "recreate": [("delete", "pods"), ("watch", "pods"), ("create", "pods"), ("patch", "pods")],
    "prune": [("delete", r) for r in ("configmaps", "jobs.batch", "pods")],
    "release": [("patch", "persistentvolumeclaims")],
    "patch": [("patch", "jobs.batch")],
}
# The gate (builders/gate.py): apply creates its account, Role and binding, and may only grant what it
# holds itself (RBAC's escalation check): reading and unsuspending Jobs, creating pods, two ConfigMaps.
GATE = [(v, r) for r in ("serviceaccounts", "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io")
        for v in ("get", "list", "create", "patch", "delete")]
# A multi-node run's headless Service, a `kind: service` workload's Deployment and Service (builders/workloads.py).
SERVICE = [(v, "services") for v in ("get", "list", "create", "patch", "delete")]
DEPLOYMENT = [(v, "deployments.apps") for v in ("get", "list", "create", "patch", "delete")]
# Needed by every apply: reading the project, writing its ledger, holding its lease.
ALWAYS = [("list", "jobs.batch"), ("list", "pods"), ("list", "configmaps"), ("list", "persistentvolumeclaims"),
          ("get", "jobs.batch"), ("get", "pods"), ("get", "persistentvolumeclaims"),  # declared objects by name
          ("get", "configmaps"), ("create", "configmaps"), ("update", "configmaps"),
          ("get", "leases.coordination.k8s.io"), ("create", "leases.coordination.k8s.io"),
          ("update", "leases.coordination.k8s.io"), ("delete", "leases.coordination.k8s.io")]
# The other commands that write: `rerun` (stops or removes a run, waits until it is gone, creates it
# again) and `cleanup` (after a rename: deletes the old runs and ConfigMaps, releases the old volumes).
FOR_COMMAND = {
    "rerun": [("delete", "jobs.batch"), ("watch", "jobs.batch"), ("delete", "pods"), ("watch", "pods"),
              ("create", "jobs.batch"), ("patch", "jobs.batch"), ("create", "pods"), ("patch", "pods")],
    "cleanup": [("delete", r) for r in ("configmaps", "jobs.batch", "pods")] + [("patch", "persistentvolumeclaims")],
}
NEVER = {("delete", "persistentvolumeclaims"), ("deletecollection", "persistentvolumeclaims"),
         ("*", "persistentvolumeclaims")}


def needed(actions) -> set[tuple[str, str]]:
    out = set(ALWAYS)
    for a in actions:
        out.update(FOR_ACTION.get(a.verb, []))
        if a.kind in ("ServiceAccount", "Role", "RoleBinding"):
            out.update(GATE)
        if a.kind == "Service":
            out.update(SERVICE)
        if a.kind == "Deployment":
            out.update(DEPLOYMENT)
    return out


def everything() -> set[tuple[str, str]]:
    """Every (verb, resource) of every table: what the deploy account's Role grants."""
    out = set(ALWAYS)
    for table in (FOR_ACTION, FOR_COMMAND):
        for pairs in table.values():
            out.update(pairs)
    return out | set(GATE) | set(SERVICE) | set(DEPLOYMENT)


def role_rules() -> list[dict]:
    """The Role's rules, one per API group and resource, sorted; never a PVC delete."""
    pairs = everything()
    if pairs & NEVER:
        raise ValueError(f"the deploy Role must never allow {sorted(pairs & NEVER)}")
    verbs: dict[tuple[str, str], set[str]] = {}
    for verb, resource in pairs:
        name, _, group = resource.partition(".")
        verbs.setdefault((group, name), set()).add(verb)
    return [{"apiGroups": [group], "resources": [name], "verbs": sorted(v)} for (group, name), v in sorted(verbs.items())]
