"""Object names: `<project>-<part>...`, DNS-1123 labels of at most 63 characters.

A name that would be too long is cut and ends in a short hash of the full name,
so it stays unique and the same on every machine (cdk8s does the same).
"""
from __future__ import annotations

import hashlib
import json

MAX = 63


def object_name(*parts: str, suffix: str = "", limit: int = MAX) -> str:
    base = "-".join(p for p in parts if p)
    tail = f"-{suffix}" if suffix else ""
    if len(base) + len(tail) <= limit:
        return base + tail
    short = hashlib.sha256(base.encode()).hexdigest()[:6]
    keep = limit - len(tail) - len(short) - 1
    return f"{base[:keep].rstrip('-')}-{short}{tail}"


def labels(project: str, owner: str | None, workload: str | None = None) -> dict:
    out = {"app.kubernetes.io/managed-by": "nautiform", "nautiform.io/project": project}
    if workload:
        out["nautiform.io/workload"] = workload
    if owner:
        out["nautiform.io/owner"] = owner
    return out


def digest(value: object, length: int = 8) -> str:
    """Short content hash of any JSON-able value; key order and hash seed cannot change it."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
