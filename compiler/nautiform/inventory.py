"""What the cluster lets this account see of its nodes: sizes always, free GPUs only sometimes.

Nodes (labels, taints, allocatable) can be listed by NRP users. What is *free* on a node needs every
pod on it, and a namespace account cannot list other namespaces' pods. So the free count comes
from the first source that can really give it, and says which it was:
- `portal`: NRP's public node feed, when asked for (portal.py; a lagging snapshot);
- `pods`: the requests of every running pod, when this account may list pods in all namespaces
  (an admin, or the simulated cluster of the tests);
- `none`: unknown. Nothing is guessed: callers print "?" and say why.
"""
from __future__ import annotations

import json
from collections import namedtuple

from . import kube, portal
from .nodefit import Node, node_from_api, requests


class Inventory(namedtuple("Inventory", "nodes free source note")):
    """nodes: [Node]; free: node name -> {resource: amount free} (None when unknown; the portal gives
    GPUs only); source: "portal" | "pods" | "none"; note: why free is what it is, for people."""

    __slots__ = ()

    def free_gpus(self, node: Node) -> int | None:
        if self.free is None or node.name not in self.free:
            return None
        resource, _ = node.gpus()
        value = self.free[node.name].get(resource)
        return None if value is None else max(int(value), 0)


def read_nodes() -> list[Node]:
    """Raises kube.KubeError (forbidden, no cluster) for the caller to explain."""
    proc = kube.run("get", "nodes", "-o", "json")
    return [node_from_api(o) for o in json.loads(proc.stdout).get("items", [])]


def read(portal_url: str | None, with_pods: bool = True) -> Inventory:
    nodes = read_nodes()
    if portal_url:
        feed = portal.fetch(portal_url)
        free = {}
        for n in nodes:
            row = feed.get(n.name)
            resource, _ = n.gpus()
            if row is not None and row.available is not None and resource:
                free[n.name] = {resource: row.available}
        missing = sum(1 for n in nodes if n.gpus()[1] and n.name not in free)
        note = f"free GPUs: NRP's node feed ({portal_url}), a snapshot that can lag by minutes"
        if missing:
            note += f"; {missing} GPU node(s) are not in the feed (shown as ?)"
        return Inventory(nodes, free, "portal", note)
    if with_pods:
        used = _used_by_all_pods()
        if used is not None:
            free = {n.name: {k: v - used.get(n.name, {}).get(k, 0) for k, v in (n.allocatable or {}).items()}
                    for n in nodes}
            return Inventory(nodes, free, "pods", "free: allocatable minus the requests of every running pod")
    return Inventory(nodes, None, "none", "free GPUs cannot be known from this account: it may list nodes "
                     "(their size) but not other namespaces' pods (their use); --portal reads NRP's public "
                     "node feed instead")


def _used_by_all_pods() -> dict | None:
    """Node name -> {resource: requested} over all pods that hold resources; None if not allowed."""
    try:
        proc = kube.run("get", "pods", "--all-namespaces", "-o", "json",
                        "--field-selector=status.phase!=Succeeded,status.phase!=Failed")
    except kube.KubeError as exc:
        if kube.forbidden(exc):
            return None
        raise
    used: dict = {}
    for pod in json.loads(proc.stdout).get("items", []):
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            continue
        mine = used.setdefault(node, {})
        for k, v in requests(pod["spec"]).items():
            mine[k] = mine.get(k, 0) + v
    return used
