"""Sweep points as identities: what `apply` needs to run only the points that have not run.

A point is known by its *key* (its parameter values: `lr=0.001,batch=64`, or a hash when values are
long or unusual) and a run of it by `run_id(workload identity, key)`: the same values under the
same inputs are the same run, wherever they sit in the table. The sweep's ConfigMap (written by the
builder, read back here from generated/ or the cluster) holds the keys next to the values the
launcher reads: `point.order` (the parameters), `point.grid.<param>` (one key part per axis value) or,
for a table, `param=value` from its values, or `point.table.<param>` where a value is not path-safe.

A Job of a sweep runs a subset of the table: the pod template annotation `nautiform.io/points`
lists table indexes compactly ("0-3,7,9-11"); the launcher maps its completion index through it.
"""
from __future__ import annotations

import base64
import hashlib
import zlib

POINTS = "nautiform.io/points"
SWEEP = "nautiform.io/sweep"          # Job annotation: the sweep ConfigMap's name
IDENTITY = "nautiform.io/identity"    # Job/Pod annotation: the hash of its declared inputs


def keys(data: dict) -> list[str]:
    """Every point's key, in table order, from the sweep ConfigMap's data."""
    order = data.get("point.order", "").split()
    if not order:
        return []
    if f"grid.{order[0]}" in data:
        axes = {p: data[f"point.grid.{p}"].splitlines() for p in order}
        out = [""]
        for p in order:  # last axis fastest, as the launcher and expand.Sweep.point read a grid
            out = [f"{prefix},{part}" if prefix else part for prefix in out for part in axes[p]]
        return out
    columns = [data[f"point.table.{p}"].splitlines() if f"point.table.{p}" in data
               else [f"{p}={v}" for v in data[f"table.{p}"].splitlines()] for p in order]
    return [",".join(parts) for parts in zip(*columns)]


def run_id(identity: str, key: str) -> str:
    return hashlib.sha256(f"{identity}\0{key}".encode()).hexdigest()[:12]


def compact(indexes: list[int]) -> str:
    """[0,1,2,3,7,9,10] -> "0-3,7,9-10" (Kubernetes' own notation for completed indexes)."""
    out: list[str] = []
    run: list[int] = []
    for i in sorted(set(indexes)):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def expand(text: str | None) -> list[int]:
    out: list[int] = []
    for part in (text or "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


def pack(ids: set[str]) -> dict:
    """A set of run ids as the ledger stores it: compressed, since a 100,000-point sweep must fit a ConfigMap."""
    text = "\n".join(sorted(ids)).encode()
    return {"n": len(ids), "z": base64.b64encode(zlib.compress(text, 9)).decode()}


def unpack(packed: dict | None) -> set[str]:
    if not packed:
        return set()
    return set(zlib.decompress(base64.b64decode(packed["z"])).decode().split()) if packed.get("z") else set()


def job_points(job: dict, table_size: int) -> list[int]:
    """The table indexes a live sweep Job runs, in completion-index order."""
    notes = ((job.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}
    return expand(notes[POINTS]) if POINTS in notes else list(range(table_size))
