"""Rule capacity: no request larger than the largest node of the profile (it would never schedule),
and memory-backed /dev/shm that counts against the memory limit (Kubernetes). Requests are the ones
written: scratch's size is part of the ephemeral-storage request (derive.resources)."""
from __future__ import annotations

from .. import quantity
from ..derive import RESOURCE_KEYS
from ..errors import diag


def check(r, manifests) -> list:
    out = []
    largest = r.profile.data.get("largest_node")
    for w in r.workloads:
        if largest:
            for field, key in RESOURCE_KEYS:
                res = w.resources[key]
                cap = quantity.parse(largest[field])
                if res.request is None or res.request <= cap:
                    continue
                if res.scratch is not None and (w.pod.get(field) is None or quantity.parse(w.pod[field]) <= cap):
                    out.append(diag("capacity", w.at("scratch") + ("size",), f"scratch {w.pod['scratch'].size} "
                                    f"makes the ephemeral-storage request {quantity.gib(res.request)}, more "
                                    f"than the largest node of {r.profile.name} has ({largest[field]}); the pod "
                                    "would never start", "use less scratch space", workload=w.name))
                else:
                    out.append(diag("capacity", w.at(field), f"{field} {w.pod[field]} is more than the largest "
                                    f"node of {r.profile.name} has ({largest[field]}); the pod would never start",
                                    "request less", workload=w.name))
            gpu = w.pod.get("gpu")
            if gpu and gpu.count > largest["gpu"]:
                out.append(diag("capacity", w.at("gpu") + ("count",), f"{gpu.count} GPUs is more than any node "
                                f"of {r.profile.name} has ({largest['gpu']})", "request fewer GPUs",
                                workload=w.name))
        shm, memory = w.pod.get("shm"), w.pod.get("memory")
        if shm is not None and memory is not None and quantity.parse(shm) > quantity.parse(memory):
            out.append(diag("shm", w.at("shm"), f"/dev/shm of {shm} is larger than the memory request {memory}; "
                            "shared memory counts against the memory limit", "raise memory or lower shm",
                            severity="warning", workload=w.name))
    return out
