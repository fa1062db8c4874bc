"""What would destroy a researcher's data: the volume guard shared by `plan` and `apply`.

nautiform never deletes a PersistentVolumeClaim. What it guards against:
- a claim no longer declared (its data would be lost if someone deleted it): stops plan and apply
  unless --allow-data-loss; the way out offered is to restore the declaration or *release* the
  claim from the project (`nautiform release pvc NAME`: unlabelled, data kept), never a delete of a
  claim that pods still mount;
- a new storage class or access mode: needs a new volume, so it is refused the same way and the
  old claim is left unchanged.
Sizes only grow: a declared size below the live one (expanded by hand, or a shrink in
project.yaml) is a warning, and the live size is kept — volumes cannot shrink.
"""
from __future__ import annotations

from collections import namedtuple

from . import quantity

Loss = namedtuple("Loss", "name what detail")  # what: removed | storage class | access mode
LOSS_KINDS = ("removed", "storage class", "access mode")


def facts(body: dict) -> dict:
    spec = body.get("spec") or {}
    return {"storage": (spec.get("resources") or {}).get("requests", {}).get("storage"),
            "storageClassName": spec.get("storageClassName"), "accessModes": spec.get("accessModes")}


def larger(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return a or b
    return a if quantity.parse(a) >= quantity.parse(b) else b


def live_size(body: dict) -> str | None:
    """The claim's requested size. Not status.capacity: a claim bound to a bigger volume (a 200Gi
    request on a 500Gi PV) has not grown, and its request may still be raised to any size."""
    return facts(body)["storage"]


def losses(before: dict[str, dict], after: dict[str, dict], reused: frozenset[str] | set[str] = frozenset()) -> list[Loss]:
    """`before`/`after`: claim name -> PVC body (manifest or live object). `reused`: claims now used
    through `existing_claim`: still in use, so their leaving the project loses nothing."""
    out = []
    for name in sorted(before):
        old = facts(before[name])
        if name not in after:
            if name not in reused:
                out.append(Loss(name, "removed", "no longer declared; its data would be lost if it were deleted"))
            continue
        new = facts(after[name])
        if old["storageClassName"] and new["storageClassName"] != old["storageClassName"]:
            out.append(Loss(name, "storage class", f"{old['storageClassName']} -> {new['storageClassName']}: "
                            "needs a new volume"))
        if old["accessModes"] and new["accessModes"] != old["accessModes"]:
            out.append(Loss(name, "access mode", f"{old['accessModes']} -> {new['accessModes']}: needs a new volume"))
    return out


def shrinks(before: dict[str, dict], after: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(claim, declared, kept) where the declared size is below what the claim already has."""
    out = []
    for name in sorted(set(before) & set(after)):
        have, want = live_size(before[name]), facts(after[name])["storage"]
        if have and want and quantity.parse(want) < quantity.parse(have):
            out.append((name, want, have))
    return out


def with_size(body: dict, size: str) -> dict:
    spec = dict(body["spec"])
    spec["resources"] = {**spec.get("resources", {}), "requests": {**spec.get("resources", {}).get("requests", {}),
                                                                   "storage": size}}
    return {**body, "spec": spec}


def mounted_by(pods: list[dict], claim: str) -> list[str]:
    """Names of live, unfinished pods that mount `claim`."""
    out = []
    for p in pods:
        if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for v in (p.get("spec") or {}).get("volumes") or []:
            if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim:
                out.append(p["metadata"]["name"])
    return sorted(out)


def way_out(loss: Loss, namespace: str, users: list[str]) -> str:
    if loss.what != "removed":
        return "restore the storage class / access mode in project.yaml (a new class needs a new volume and a copy)"
    hint = (f"restore the volume in project.yaml, or keep the data but stop managing it: "
            f"`nautiform release pvc {loss.name}`")
    if users:
        return hint + f" (still mounted by {', '.join(users[:3])}{' ...' if len(users) > 3 else ''})"
    return hint
