"""Rule capacity: no request larger than the largest node of the profile (it would never schedule),
and memory-backed /dev/shm that counts against the memory limit (Kubernetes)."""
from __future__ import annotations

from .. import quantity
from ..errors import diag


def check(r, manifests) -> list:
    out = []
    largest = r.profile.data.get("largest_node")
    for w in r.workloads:
        if largest:
            for field in ("cpu", "memory", "ephemeral_storage"):
                value = w.pod.get(field)
                if value is not None and quantity.parse(value) > quantity.parse(largest[field]):
                    out.append(diag("capacity", w.at(field), f"{field} {value} is more than the largest node "
                                    f"of {r.profile.name} has ({largest[field]}); the pod would never start",
                                    "request less"))
            out += _scratch(r, w, largest)
            gpu = w.pod.get("gpu")
            if gpu and gpu.count > largest["gpu"]:
                out.append(diag("capacity", w.at("gpu") + ("count",), f"{gpu.count} GPUs is more than any node "
                                f"of {r.profile.name} has ({largest['gpu']})", "request fewer GPUs"))
        shm, memory = w.pod.get("shm"), w.pod.get("memory")
        if shm is not None and memory is not None and quantity.parse(shm) > quantity.parse(memory):
            out.append(diag("shm", w.at("shm"), f"/dev/shm of {shm} is larger than the memory request {memory}; "
                            "shared memory counts against the memory limit", "raise memory or lower shm",
                            severity="warning"))
    return out


def _scratch(r, w, largest) -> list:
    """scratch.size is added to the ephemeral-storage request (build/pod.py), so it counts too."""
    scratch, own = w.pod.get("scratch"), w.pod.get("ephemeral_storage")
    if scratch is None or (own is not None and quantity.parse(own) > quantity.parse(largest["ephemeral_storage"])):
        return []
    total = quantity.parse(scratch.size) + (quantity.parse(own) if own is not None else 0)
    if total <= quantity.parse(largest["ephemeral_storage"]):
        return []
    return [diag("capacity", w.at("scratch") + ("size",), f"scratch {scratch.size} makes the ephemeral-storage "
                 f"request {quantity.gib(total)}, more than the largest node of {r.profile.name} has "
                 f"({largest['ephemeral_storage']}); the pod would never start", "use less scratch space")]
