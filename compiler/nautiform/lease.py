"""One apply of a project at a time: a coordination.k8s.io Lease in the namespace.

GitLab's `resource_group` serialises deploy jobs of one pipeline definition, but not a laptop
`nautiform apply`, a second branch with its own deploy, or a re-run job. Two applies interleaving
their reads and writes is how Jobs were deleted by one while the other recorded them as done.
The lease is created (the API server refuses a second create) and deleted when the apply ends; a
holder that died leaves a lease that expires after LEASE_SECONDS and may then be taken over.
"""
from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone

from . import kube
from .owner import MANAGED_BY

LEASE_SECONDS = 900  # longer than any apply; a crashed holder blocks others at most this long


class Busy(Exception):
    """Another apply holds the project's lease."""


def lease_name(project: str) -> str:
    return f"{project}-nautiform-lock"


def _micro(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def holder_id(repo: str, commit: str) -> str:
    job = os.environ.get("CI_JOB_URL") or f"pid {os.getpid()} on {socket.gethostname()}"
    return f"{repo}@{commit[:12]} ({job})"


def _body(project: str, namespace: str, holder: str, version: str = "") -> dict:
    now = _micro(time.time())
    meta = {"name": lease_name(project), "namespace": namespace,
            "labels": {MANAGED_BY: "nautiform", "nautiform.io/lock": project}}
    if version:
        meta["resourceVersion"] = version
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": LEASE_SECONDS, "acquireTime": now,
                     "renewTime": now}}


def acquire(project: str, namespace: str, holder: str) -> None:
    """Take the lease or raise Busy naming who holds it and since when."""
    try:
        kube.run("create", "-f", "-", stdin=json.dumps(_body(project, namespace, holder)))
        return
    except kube.Conflict:
        pass
    live = kube.get_one(namespace, "lease", lease_name(project))
    if live is None:  # released between our create and get: try once more
        kube.run("create", "-f", "-", stdin=json.dumps(_body(project, namespace, holder)))
        return
    spec = live.get("spec") or {}
    renewed = spec.get("renewTime") or spec.get("acquireTime")
    expires = _parse(renewed) + int(spec.get("leaseDurationSeconds") or LEASE_SECONDS) if renewed else 0
    if time.time() < expires:
        raise Busy(f"{spec.get('holderIdentity', 'someone')} since {spec.get('acquireTime', '?')}")
    try:  # expired: its holder died; take it over unless someone else just did
        kube.run("replace", "-f", "-", stdin=json.dumps(_body(project, namespace, holder,
                                                              live["metadata"]["resourceVersion"])))
    except kube.Conflict:
        raise Busy(f"another apply took over an expired lease of {spec.get('holderIdentity', 'someone')}") from None


def release(project: str, namespace: str, holder: str) -> None:
    live = kube.get_one(namespace, "lease", lease_name(project))
    if live and (live.get("spec") or {}).get("holderIdentity") == holder:
        kube.run("delete", "lease", lease_name(project), "-n", namespace, "--ignore-not-found", check=False)
