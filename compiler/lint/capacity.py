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
