"""Rule capacity: no request larger than the largest node of the profile (it would never schedule),
and memory-backed /dev/shm (and `empty_dirs` in memory) that counts against the memory limit (Kubernetes).
Requests are the ones written: the size of scratch and of sized disk `empty_dirs` is part of the
ephemeral-storage request (derive.resources)."""
from __future__ import annotations

from fractions import Fraction

from .. import quantity
from ..derive import RESOURCE_KEYS, local_disk
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
                    where = w.at("scratch") + ("size",) if w.pod.get("scratch") is not None else w.at("empty_dirs")
                    what = local_disk(w.pod)[1]
                    out.append(diag("capacity", where, f"{what} {'make' if ' and ' in what else 'makes'} the "
                                    f"ephemeral-storage request {quantity.gib(res.request)}, more "
                                    f"than the largest node of {r.profile.name} has ({largest[field]}); the pod "
                                    "would never start", "use less scratch space" if what.startswith("scratch")
                                    and " and " not in what else "use less local disk", workload=w.name))
                else:
                    out.append(diag("capacity", w.at(field), f"{field} {w.pod[field]} is more than the largest "
                                    f"node of {r.profile.name} has ({largest[field]}); the pod would never start",
                                    "request less", workload=w.name))
            gpu = w.pod.get("gpu")
            if gpu and gpu.count > largest["gpu"]:
                out.append(diag("capacity", w.at("gpu") + ("count",), f"{gpu.count} GPUs is more than any node "
                                f"of {r.profile.name} has ({largest['gpu']})", "request fewer GPUs",
                                workload=w.name))
        out += _in_memory(w)
    return out


def _in_memory(w) -> list:
    """shm (warning): memory-backed volumes (/dev/shm, `empty_dirs` with `memory: true`) larger than the memory
    request; what they hold counts against the memory limit (Kubernetes), so the pod is OOM-killed first."""
    memory = w.pod.get("memory")
    if memory is None:
        return []
    shm = w.pod.get("shm")
    sized = [(w.at("shm"), "/dev/shm", shm)] if shm is not None and shm is not True else []
    sized += [(w.at(f"empty_dirs.{p}"), p, d.size) for p, d in sorted((w.pod.get("empty_dirs") or {}).items())
              if d.memory and d.size is not None]
    total = sum((quantity.parse(size) for _, _, size in sized), Fraction(0))
    if not sized or total <= quantity.parse(memory):
        return []
    what = ", ".join(f"{path} {size}" for _, path, size in sized)
    if sized[0][1] == "/dev/shm" and len(sized) == 1:
        message, hint = f"/dev/shm of {shm} is larger than the memory request {memory}", "raise memory or lower shm"
    else:
        message = f"memory-backed volumes ({what}) are larger than the memory request {memory}"
        hint = "raise memory or lower their sizes"
    return [diag("shm", sized[-1][0], message + "; shared memory counts against the memory limit", hint,
                 severity="warning", workload=w.name)]
