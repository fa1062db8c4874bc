"""Storage rules: known storage classes and access modes that the class supports.

- storage-class (warning): a class the profile does not list (typo, or retired).
- access-mode: block storage (Ceph RBD, Linstor) is ReadWriteOnce; asking it for
  ReadWriteMany leaves the claim Pending forever.
- shared-rwo (warning): a ReadWriteOnce volume attaches to one node at a time, so a sweep running
  several pods, or several workloads, mounting it will leave pods stuck in ContainerCreating.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out = []
    known = r.profile.data["storage"]["known_classes"]
    for name, vol in r.project.volumes.items():
        if vol.existing_claim:
            continue
        cls = r.profile.storage_class(vol.storage_class)
        loc = ("volumes", name, "storage_class")
        if known and r.profile.rule("warn_unknown_storage_class") and cls not in known:
            out.append(diag("storage-class", loc, f"unknown storage class {cls!r} on {r.profile.name}",
                            f"known classes: {', '.join(known[:6])}, ... (`kubectl get storageclass`)",
                            severity="warning"))
        out += _shared_rwo(r, name, vol.access_mode or r.profile.access_mode(cls))
        natural = r.profile.access_mode(cls) if r.profile.data["storage"]["access_modes"] else None
        if natural == "ReadWriteOnce" and vol.access_mode == "ReadWriteMany":
            out.append(diag("access-mode", ("volumes", name, "access_mode"), f"{cls} is block storage and "
                            "cannot be ReadWriteMany", "use a CephFS class such as rook-cephfs for shared access"))
    return out


def _shared_rwo(r, name: str, mode: str) -> list:
    if mode != "ReadWriteOnce":
        return []
    users = [w for w in r.workloads if name in (w.pod.get("mounts") or {})]
    parallel = [w for w in users if w.kind == "sweep" and w.spec.parallelism > 1]
    if len(users) < 2 and not parallel:
        return []
    who = ", ".join(w.name for w in users)
    return [diag("shared-rwo", ("volumes", name), f"volume {name!r} is ReadWriteOnce but is mounted by "
                 f"{'several pods at once' if parallel else 'several workloads'} ({who}); it can attach to "
                 "one node at a time", "use a ReadWriteMany class (CephFS: rook-cephfs) for shared data",
                 severity="warning")]
