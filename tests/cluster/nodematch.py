"""Would a pod fit a Node? The scheduler's filters that decide it for nautiform's pods, applied to real
Node objects read from the cluster: required node affinity (In, NotIn, Exists, DoesNotExist, Gt, Lt),
taints with effect NoSchedule/NoExecute against the pod's tolerations, and resource requests (init
containers as the scheduler counts them: the largest of any init container and the sum of the others)
against allocatable. Free capacity is not considered: the question is whether the node could ever run it.

NRP's admission adds a toleration of `nautilus.io/hardware=large-gpu` to pods asking for 4 or more GPUs
(shared/nrp-facts.md section 1); the simulated cluster has no such webhook, so `with_nrp_admission` adds it.
"""
from __future__ import annotations

from nautiform import quantity

LARGE_GPU = {"key": "nautilus.io/hardware", "operator": "Equal", "value": "large-gpu", "effect": "NoSchedule"}


def pod_specs(doc: dict) -> list[dict]:
    if doc["kind"] == "Pod":
        return [doc["spec"]]
    if doc["kind"] == "Job":
        return [doc["spec"]["template"]["spec"]]
    return []


def with_nrp_admission(pod: dict) -> dict:
    gpus = sum(int(v) for c in pod["containers"] for k, v in c.get("resources", {}).get("requests", {}).items()
               if k.startswith("nvidia.com/"))
    if gpus >= 4:
        return {**pod, "tolerations": [*pod.get("tolerations", []), LARGE_GPU]}
    return pod


def why_not(pod: dict, node: dict) -> str | None:
    """None if `pod` could run on `node`, else the first reason it cannot."""
    labels = node["metadata"].get("labels", {})
    terms = (pod.get("affinity", {}).get("nodeAffinity", {}).get("requiredDuringSchedulingIgnoredDuringExecution", {})
             .get("nodeSelectorTerms"))
    if terms and not any(all(_expression(e, labels) for e in t.get("matchExpressions", [])) for t in terms):
        return "node affinity"
    for taint in node.get("spec", {}).get("taints", []) or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not any(
                _tolerates(t, taint) for t in pod.get("tolerations", [])):
            return f"taint {taint['key']}={taint.get('value', '')}:{taint['effect']}"
    allocatable = node.get("status", {}).get("allocatable", {})
    for key, need in requests(pod).items():
        have = quantity.parse(allocatable.get(key, "0"))
        if need > have:
            return f"{key}: needs {need}, node has {have}"
    return None


def requests(pod: dict) -> dict:
    total: dict = {}
    for c in pod["containers"]:
        for k, v in c.get("resources", {}).get("requests", {}).items():
            total[k] = total.get(k, 0) + quantity.parse(v)
    for c in pod.get("initContainers", []):
        for k, v in c.get("resources", {}).get("requests", {}).items():
            total[k] = max(total.get(k, 0), quantity.parse(v))
    return total


def _expression(e: dict, labels: dict) -> bool:
    op, key, values = e["operator"], e["key"], e.get("values", [])
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if key not in labels:
        return False
    try:
        have, want = int(labels[key]), int(values[0])
    except ValueError:
        return False
    return have > want if op == "Gt" else have < want


def _tolerates(t: dict, taint: dict) -> bool:
    if t.get("effect") and t["effect"] != taint.get("effect"):
        return False
    if t.get("operator") == "Exists":
        return not t.get("key") or t["key"] == taint["key"]
    return t.get("key") == taint["key"] and t.get("value", "") == taint.get("value", "")
