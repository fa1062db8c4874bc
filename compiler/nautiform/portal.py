"""NRP's public node feed: free GPUs per node, which a namespace account cannot compute.

A user may list Nodes (capacity) but not other namespaces' pods (use), so "how many GPUs are free"
is unknowable from the API alone (../shared/nrp-facts.md sections 2 and 9). NRP's portal serves the
numbers behind https://nrp.ai/viz/resources as an unauthenticated JSON-RPC method,
`guest.ListNodeInfo` at https://portal.nrp.ai/rpc: per node `Name`, `GPUType`, `GPUCapacity` and
`GPUAvailable` (strings), `Taints`, `IsUnschedulable`. It is a lagging snapshot (a third party saw 2
of 10 "free" GPUs stay Pending), so it is optional, named as the source wherever its numbers appear,
and off unless asked for: `--portal` or NAUTIFORM_PORTAL_URL.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections import namedtuple

DEFAULT_URL = "https://portal.nrp.ai/rpc"
ENV = "NAUTIFORM_PORTAL_URL"
METHOD = "guest.ListNodeInfo"
TIMEOUT = 20


class PortalError(Exception):
    """The feed could not be read; the message says what happened."""


def explain(exc: PortalError) -> str:
    return f"error: {exc}\n  hint: drop --portal (and NAUTIFORM_PORTAL_URL) to do without it"


class FeedNode(namedtuple("FeedNode", "name gpu_type capacity available taints unschedulable")):
    __slots__ = ()


def url_from(option: str | None) -> str | None:
    """The feed's URL: the option's value ("" = the default URL), else NAUTIFORM_PORTAL_URL, else off."""
    if option is not None:
        return option or os.environ.get(ENV) or DEFAULT_URL
    return os.environ.get(ENV) or None


def fetch(url: str) -> dict[str, FeedNode]:
    """Node name -> FeedNode."""
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": METHOD, "params": {}}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PortalError(f"the NRP node feed at {url} did not answer: {getattr(exc, 'reason', None) or exc}") from None
    if not isinstance(body, dict) or body.get("error"):
        raise PortalError(f"the NRP node feed at {url} returned an error: {(body or {}).get('error')}")
    nodes = (body.get("result") or {}).get("Nodes")
    if not isinstance(nodes, list):
        raise PortalError(f"the NRP node feed at {url} returned no result.Nodes")
    out = {}
    for n in nodes:
        if isinstance(n, dict) and n.get("Name"):
            out[n["Name"]] = FeedNode(n["Name"], n.get("GPUType") or "", _count(n.get("GPUCapacity")),
                                      _count(n.get("GPUAvailable")), _taints(n.get("Taints")),
                                      bool(n.get("IsUnschedulable")))
    return out


def _count(value) -> int | None:
    """The feed's counts are strings; a missing or malformed one is unknown, not zero."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _taints(value) -> list[dict]:
    """Taints as Kubernetes dicts; the feed's are objects, a "key=value:Effect" string is read too."""
    out = []
    for t in value or []:
        if isinstance(t, dict):
            out.append({k: t[k] for k in ("key", "value", "effect") if t.get(k)})
        elif isinstance(t, str):
            head, _, effect = t.rpartition(":")
            key, _, val = (head or t).partition("=")
            out.append({k: v for k, v in (("key", key), ("value", val), ("effect", effect)) if v})
    return out
