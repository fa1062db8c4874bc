"""diagnose.py on pod shapes the local cluster cannot produce by itself (the kubelet's reasons),
citizenship's violation gate, and the node feed's taint forms; the cluster tests drive the rest."""
from __future__ import annotations

import pytest

from nautiform import citizenship, diagnose, portal
from nautiform.livestate import Live


def _pod(status: dict, limits: dict | None = None) -> dict:
    res = {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "8Gi", **(limits or {})}}
    return {"metadata": {"name": "lab-train-1-x"}, "spec": {"containers": [{"name": "main", "image": "i:1",
                                                                          "resources": res}]}, "status": status}


def _waiting(reason: str, message: str = "") -> dict:
    return {"phase": "Pending", "containerStatuses": [{"name": "main", "state": {"waiting": {"reason": reason,
                                                                                            "message": message}}}]}


@pytest.mark.parametrize("status, limits, expected", [
    (_waiting("CreateContainerConfigError", 'secret "wandb" not found'), None,
     ("config", "container main cannot start: secret \"wandb\" not found", ("secret_env",))),
    ({"phase": "Failed", "reason": "Evicted", "message": 'Usage of EmptyDir volume "scratch" exceeds the limit "100Gi".'},
     None, ("evicted", "evicted: wrote more to scratch than its size allows (Usage of EmptyDir volume \"scratch\" "
                       "exceeds the limit \"100Gi\".)", ("scratch", "size"))),
    ({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}, None,
     ("evicted", "evicted: the node ran low on memory (The node was low on resource: memory.)", ("memory",))),
    (_waiting("ErrImagePull", "pull access denied, repository does not exist or may require authorization: "
                              "authorization failed"), None,
     ("image-pull", "the registry refused to serve i:1: pull access denied, repository does not exist or may require "
                    "authorization: authorization failed", None)),
    ({"phase": "Running", "containerStatuses": [{"name": "main", "restartCount": 2, "state": {"running": {}},
                                                 "lastState": {"terminated": {"reason": "OOMKilled"}}}]},
     {"memory": "9Gi"}, ("oom-killed", "container main reached its memory limit 9Gi and was killed",
                         ("limits", "memory"))),
])
def test_kubelet_reasons(status, limits, expected):
    problem = diagnose.pod_problem(_pod(status, limits), [])
    assert (problem.code, problem.detail, problem.setting) == expected


def test_a_running_pod_has_no_problem():
    assert diagnose.pod_problem(_pod({"phase": "Running", "containerStatuses": [
        {"name": "main", "restartCount": 0, "state": {"running": {}}}]}), []) is None


def _gpu_pod(name: str) -> dict:
    res = {"requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
           "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}}
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "main", "resources": res}]},
            "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z"}}


def test_more_than_four_low_pods_warn_of_nrps_job_gate():
    pods = [_gpu_pod(f"p{i}") for i in range(5)]
    doc = {"workloads": [{"name": "sweep", "kind": "sweep", "flags": [],
                          "pods": [{"name": p["metadata"]["name"], "state": "running"} for p in pods]}]}
    live = Live([], pods, {}, {}, {}, None, "repo")
    notes = citizenship.flags(doc, live, {f"p{i}": 10.0 for i in range(5)}, now=1e10)
    assert len(doc["workloads"][0]["flags"]) == 5
    assert notes == ["5 GPU pods are under 40% use: NRP refuses your new Jobs while more than 4 pods violate; stop "
                     "idle ones (`nautiform stop WORKLOAD`)"]
    doc["workloads"][0]["flags"] = []
    assert citizenship.flags(doc, live, {f"p{i}": 90.0 for i in range(5)}, now=1e10) == []


def test_feed_taints_as_objects_or_strings():
    assert portal._taints([{"key": "nautilus.io/reservation", "value": "csuf", "effect": "NoSchedule"},
                           "nvidia.com/gpu:PreferNoSchedule", "a=b:NoExecute"]) == [
        {"key": "nautilus.io/reservation", "value": "csuf", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "effect": "PreferNoSchedule"}, {"key": "a", "value": "b", "effect": "NoExecute"}]
    assert portal._count("3") == 3 and portal._count(None) is None and portal._count("n/a") is None
