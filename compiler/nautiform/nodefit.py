"""Could this pod ever run on that node? The scheduler's hard filters, over what a user can list.

Pure: a pod spec and `Node` records in, answers out. Used to decode FailedScheduling (`status`)
and to judge "fits now / must queue / never fits" (`gpus`). Only the filters that depend on the
node's labels, taints and size are here (node affinity and selector, taints, allocatable); what the
scheduler also weighs (volume topology, pod affinity, ports) is left to its own message.
"""
from __future__ import annotations

from collections import namedtuple
from fractions import Fraction

from . import quantity

GPU_PREFIX = "nvidia.com/"
PRODUCT = "nvidia.com/gpu.product"
REGION = "topology.kubernetes.io/region"
BLOCKING = ("NoSchedule", "NoExecute")


class Node(namedtuple("Node", "name labels allocatable taints unschedulable ready")):
    """allocatable: resource -> Fraction (None when the account sees labels only); taints: list of dicts."""

    __slots__ = ()

    @property
    def product(self) -> str:
        return self.labels.get(PRODUCT, "")

    @property
    def region(self) -> str:
        return self.labels.get(REGION, "")

    def gpus(self) -> tuple[str, int]:
        """(GPU resource name, count) of the node; ("", 0) for a CPU node."""
        for key, value in sorted((self.allocatable or {}).items()):
            if key.startswith(GPU_PREFIX) and value > 0:
                return key, int(value)
        count = self.labels.get("nvidia.com/gpu.count", "")
        return ("nvidia.com/gpu", int(count)) if count.isdigit() and self.allocatable is None else ("", 0)


def node_from_api(obj: dict) -> Node:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    alloc = {k: quantity.parse(v) for k, v in (status.get("allocatable") or {}).items()}
    return Node(obj["metadata"]["name"], obj["metadata"].get("labels") or {}, alloc, spec.get("taints") or [],
                bool(spec.get("unschedulable")), ready)


def requests(pod_spec: dict) -> dict:
    """The pod's effective requests: the sum over containers, at least the largest init container
    (Kubernetes' rule); GPUs may be given as limits only."""
    total: dict = {}
    for c in pod_spec.get("containers") or []:
        for k, v in _container_requests(c).items():
            total[k] = total.get(k, 0) + v
    for c in pod_spec.get("initContainers") or []:
        for k, v in _container_requests(c).items():
            total[k] = max(total.get(k, 0), v)
    return total


def _container_requests(c: dict) -> dict:
    res = c.get("resources") or {}
    out = {k: quantity.parse(v) for k, v in (res.get("limits") or {}).items() if k.startswith(GPU_PREFIX)}
    out.update({k: quantity.parse(v) for k, v in (res.get("requests") or {}).items()})
    return out


def gpu_request(pod_spec: dict) -> tuple[str, int]:
    for k, v in sorted(requests(pod_spec).items()):
        if k.startswith(GPU_PREFIX) and v > 0:
            return k, int(v)
    return "", 0


def terms(pod_spec: dict) -> list[list[dict]]:
    """Required node-affinity terms (any one must match), nodeSelector folded into each."""
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    found = [t.get("matchExpressions") or [] for t in required.get("nodeSelectorTerms") or []] or [[]]
    selector = [{"key": k, "operator": "In", "values": [v]} for k, v in (pod_spec.get("nodeSelector") or {}).items()]
    return [t + selector for t in found]


def wanted(pod_spec: dict, key: str) -> list[str]:
    """The values an `In` expression on `key` allows (first term), e.g. the GPU products or regions."""
    for expr in terms(pod_spec)[0]:
        if expr.get("key") == key and expr.get("operator") == "In":
            return list(expr.get("values") or [])
    return []


def _expression(expr: dict, labels: dict) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    have = labels.get(key)
    if op == "In":
        return have in values
    if op == "NotIn":
        return have not in values
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt") and have is not None and have.lstrip("-").isdigit() and values:
        return int(have) > int(values[0]) if op == "Gt" else int(have) < int(values[0])
    return False


def labels_match(pod_spec: dict, node: Node) -> bool:
    return any(all(_expression(e, node.labels) for e in term) for term in terms(pod_spec))


def blocking_taints(pod_spec: dict, node: Node) -> list[dict]:
    """The node's NoSchedule/NoExecute taints the pod does not tolerate."""
    tolerations = pod_spec.get("tolerations") or []
    return [t for t in node.taints if t.get("effect") in BLOCKING and not any(_tolerates(tol, t) for tol in tolerations)]


def _tolerates(tol: dict, taint: dict) -> bool:
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    if not tol.get("key"):
        return tol.get("operator") == "Exists"
    if tol["key"] != taint.get("key"):
        return False
    return tol.get("operator") == "Exists" or tol.get("value", "") == taint.get("value", "")


def taint_text(taint: dict) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def short_of(need: dict, have: dict | None) -> list[str]:
    """Resources of `need` that `have` cannot hold (empty: it fits; unknown sizes count as fitting)."""
    if have is None:
        return []
    return [k for k, v in sorted(need.items()) if v > 0 and have.get(k, Fraction(0)) < v]


class Fit(namedtuple("Fit", "node usable short")):
    """node: Node; usable: labels match, taints tolerated, schedulable and Ready; short: resources the
    node is too small for (capacity, not current use)."""

    __slots__ = ()


def fits(pod_spec: dict, nodes: list[Node]) -> list[Fit]:
    need = requests(pod_spec)
    out = []
    for n in nodes:
        usable = labels_match(pod_spec, n) and not blocking_taints(pod_spec, n) and not n.unschedulable and n.ready
        out.append(Fit(n, usable, short_of(need, n.allocatable)))
    return out


def show(value, resource: str) -> str:
    """A quantity for people: 16Gi, 64Mi, 1536Mi, 4, 500m."""
    value = Fraction(value)
    if resource in ("memory", "ephemeral-storage"):
        for unit, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value >= size and (value / size).denominator == 1:
                return f"{value // size}{unit}"
        return f"{float(value / 2**30):.3g}Gi" if value >= 2**30 else str(int(value))
    return str(value.numerator) if value.denominator == 1 else f"{float(value * 1000):g}m"
