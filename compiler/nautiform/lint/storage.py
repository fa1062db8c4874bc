"""Storage rules: known storage classes and access modes that the class supports.

- storage-class (warning): a class the profile does not list (typo, retired, or simply not in the
  profile yet). Nothing else is assumed about such a class.
- access-mode: block storage (Ceph RBD, Linstor) is ReadWriteOnce; asking it for
  ReadWriteMany leaves the claim Pending forever. Only classes the profile knows to be block count.
- shared-rwo (warning): a ReadWriteOnce volume attaches to one node at a time, so a sweep running
  several pods, or several workloads, or a data Job and a workload, mounting it will leave pods stuck
  in ContainerCreating until the other finishes.
- dataset-rwo: a dataset on a ReadWriteOnce volume that a workload waits for. If the waiting pod lands
  on another node than the data Job, it holds the volume while it waits for data the data Job can never
  write (it cannot attach the volume): both wait until the 24 h timeout.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out = []
    known = r.profile.data["storage"]["known_classes"]
    for vol in r.volumes.values():
        if not vol.create:
            continue
        loc = vol.loc + ("storage_class",)
        if known and r.profile.rule("warn_unknown_storage_class") and vol.storage_class not in known:
            out.append(diag("storage-class", loc, f"unknown storage class {vol.storage_class!r} on "
                            f"{r.profile.name}", f"known classes: {', '.join(known[:6])}, ... (`kubectl get "
                            "storageclass`)", severity="warning"))
        declared = r.project.volumes[vol.name].access_mode
        natural = r.profile.access_mode(vol.storage_class)
        if natural == "ReadWriteOnce" and declared == "ReadWriteMany":
            out.append(diag("access-mode", vol.loc + ("access_mode",), f"{vol.storage_class} is block storage "
                            "and cannot be ReadWriteMany", "use a CephFS class such as rook-cephfs for shared "
                            "access"))
        out += _shared_rwo(r, vol)
    return out


def _shared_rwo(r, vol) -> list:
    if vol.access_mode != "ReadWriteOnce":
        return []
    filled = [ds.name for ds in r.datasets.values() if ds.volume is not None and ds.volume.name == vol.name]
    users = [w for w in r.workloads if vol.name in (w.pod.get("mounts") or {})]
    waiting = [w for w in users if set(w.pod.get("datasets") or ()) & set(filled)]
    if waiting:
        return [diag("dataset-rwo", vol.loc, f"volume {vol.name!r} is ReadWriteOnce and holds dataset(s) "
                     f"{', '.join(filled)} that {', '.join(w.name for w in waiting)} wait(s) for; on different "
                     "nodes, the data Job can never attach the volume the waiting pod holds",
                     "use a ReadWriteMany class (CephFS: rook-cephfs) for a dataset volume, or `scratch: true`")]
    parallel = [w for w in users if w.kind == "sweep" and w.spec.parallelism > 1]
    if len(users) + len(filled) < 2 and not parallel:
        return []
    who = ", ".join([w.name for w in users] + [f"the data Job of {name}" for name in filled])
    return [diag("shared-rwo", vol.loc, f"volume {vol.name!r} is ReadWriteOnce but is mounted by "
                 f"{'several pods at once' if parallel else 'several workloads'} ({who}); it can attach to "
                 "one node at a time", "use a ReadWriteMany class (CephFS: rook-cephfs) for shared data",
                 severity="warning")]
