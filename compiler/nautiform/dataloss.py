"""What would destroy a researcher's data: the one guard shared by `plan` and `apply`.

A PVC that disappears, shrinks, or changes storage class or access mode means its
data is gone or the change cannot happen without deleting it. nautiform never
deletes a PVC itself; these findings stop the pipeline unless --allow-data-loss.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import quantity
from .manifests import pvc_facts


@dataclass(frozen=True)
class Loss:
    name: str
    what: str  # "removed" | "shrunk" | "storage class" | "access mode"
    detail: str


def pvc_losses(before: dict[str, dict], after: dict[str, dict]) -> list[Loss]:
    """`before`/`after`: PVC name -> PVC body (a manifest or the live object)."""
    out = []
    for name in sorted(before):
        old = pvc_facts(before[name])
        if name not in after:
            out.append(Loss(name, "removed", "the claim is no longer declared; its data would be lost if deleted"))
            continue
        new = pvc_facts(after[name])
        if old["storage"] and new["storage"] and quantity.parse(new["storage"]) < quantity.parse(old["storage"]):
            out.append(Loss(name, "shrunk", f"storage {old['storage']} -> {new['storage']}: volumes cannot shrink"))
        if old["storageClassName"] and new["storageClassName"] != old["storageClassName"]:
            out.append(Loss(name, "storage class", f"{old['storageClassName']} -> {new['storageClassName']}: "
                            "needs a new volume"))
        if old["accessModes"] and new["accessModes"] != old["accessModes"]:
            out.append(Loss(name, "access mode", f"{old['accessModes']} -> {new['accessModes']}: needs a new volume"))
    return out
