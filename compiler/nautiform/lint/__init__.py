"""Stage 6, lint: every rule over every workload and object; all results collected.

Rules are registered here explicitly, one topic per module. A rule reads its
numbers from the cluster profile, so a profile without the rule's data (generic)
simply has no such rule.
"""
from __future__ import annotations

from . import (capacity, files, gpu, interactive, limits, mounts, multinode, names, order, patches, placement,
               references, requests, secrets, services, sleep, storage, sweeps, text)

RULES = (references.check, order.check, multinode.check, mounts.check, sweeps.check, limits.check, requests.check,
         interactive.check, sleep.check, gpu.check, placement.check, storage.check, capacity.check, names.check,
         secrets.check, text.check, services.check, files.check, patches.check)


def lint(resolved, manifests) -> list:
    out: list = []
    for rule in RULES:
        out += rule(resolved, manifests)
    return out
