"""A run's identity: a hash of what would change its result, and nothing else (issue 13).

A Job's or Pod's name ends in this hash, and `apply` leaves a live object of the same name alone,
so a run starts again only when one of its own inputs changed: its image, command (with the outputs
wrapper) and working directory, resources, placement (required and preferred), environment and secret,
field and value references (not the values: they are filled at apply time), mounts (a repository file's
content is in its ConfigMap's name), the datasets it reads, its code, each setup step, its security
context, a job's number of replicas, and a `pod:`/`container:` patch. Not: other workloads, datasets it
does not use, nautiform's version, the runtime's bytes (the shared runtime ConfigMap's name is replaced
by a constant before hashing), labels, annotations, imagePullPolicy, restartPolicy, TTLs, deadlines,
retry counts, a sweep's parallelism or its list of points (points are identified one by one:
points.py), or comments.

Each input's own short hash is recorded in the annotation `nautiform.io/inputs`, so `plan` can say
which one changed ("command changed", "dataset horse2zebra changed") when a run is replaced.
"""
from __future__ import annotations

import json

from ..names import digest
from ..points import IDENTITY

INPUTS = "nautiform.io/inputs"
_SHARED = "(shared)"  # stands for a ConfigMap whose name hashes more than this run's inputs


def _normalised(value, shared: set[str]):
    """`value` with the names in `shared` replaced, so their bytes do not reach the hash."""
    if isinstance(value, dict):
        return {k: _normalised(v, shared) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v, shared) for v in value]
    return _SHARED if isinstance(value, str) and value in shared else value


def inputs(pod: dict, command: list, shared: set[str], extra: dict | None = None) -> dict:
    """Per-input hashes of a rendered pod spec. `command`: what the user's program runs (with the outputs
    wrapper; for a sweep, its command before the launcher); `shared`: ConfigMap names to ignore."""
    main = pod["containers"][0]
    # how an image is pulled changes nothing it computes (issue 14: imagePullPolicy is not an input)
    init = {c["name"]: {k: v for k, v in c.items() if k != "imagePullPolicy"} for c in pod.get("initContainers") or []}
    parts = {
        "image": main.get("image"),
        "command": [command, main.get("workingDir")],
        "resources": main.get("resources"),
        "placement": [pod.get(k) for k in ("affinity", "tolerations", "priorityClassName", "nodeSelector",
                                            "imagePullSecrets")],
        "env": [e for e in main.get("env") or [] if e["name"] != "NAUTIFORM_POINTS"],
        "mounts": [main.get("volumeMounts"), pod.get("volumes")],
    }
    if pod.get("securityContext"):
        parts["security"] = pod["securityContext"]
    if "checkout" in init:
        parts["code"] = init.pop("checkout")
    for name, container in init.items():
        kind = "setup" if name.startswith("setup-") else "dataset"  # builders/pod.py: setup-NAME; wait-/stage-
        parts[f"{kind}:{name.split('-', 1)[-1]}"] = container
    parts.update(extra or {})
    return {key: digest(_normalised(value, shared)) for key, value in parts.items() if value not in (None, [], {})}


def identity(parts: dict) -> str:
    return digest(parts, 12)


def annotate(meta: dict, parts: dict) -> None:
    notes = meta.setdefault("annotations", {})
    notes[IDENTITY] = identity(parts)
    notes[INPUTS] = json.dumps(parts, sort_keys=True, separators=(",", ":"))
