"""Rule mount-conflict: two volumes mounted at one path in a pod.

The API server refuses a container whose volumeMounts repeat a mountPath ("must be unique"). Paths
are compared as the container runtime sees them (`/data/`, `//data` and `/./data` are `/data`; the
validator writes every path in that form), and every mount counts: `mounts`, `scratch`, `shm`,
`secret_files`, `code.path`, and the ones nautiform adds (the outputs volume at /mnt/outputs, the data
runtime at /etc/nautiform/data, a sweep's launcher at /etc/nautiform/sweep). The error points at the
key that mounts the second one.
"""
from __future__ import annotations

from ..errors import diag, dotted


def check(r, manifests) -> list:
    out = []
    for w in r.workloads:
        seen: dict = {}
        for m in w.mounts:
            first = seen.get(m.path)
            if first is None:
                seen[m.path] = m
                continue
            if m.loc[:1] == ("code",):  # shared by every workload: point at this workload's own key
                first, m = m, first
            out.append(diag("mount-conflict", m.loc, f"{m.path} is mounted twice: by {_what(first)} and by "
                            f"{_what(m)}; a container has one volume per path",
                            "give each mount its own path", workload=w.name))
    return out


def _what(m) -> str:
    if m.loc[:1] == ("workloads",) and m.loc[2:3] in (("outputs",), ("sweep",)):
        return f"{dotted(m.loc)} (nautiform mounts it at {m.path})"
    return dotted(m.loc)
