"""`nodes: N` on the local control plane: a Job assembled by hand from multinode.py's pieces (the
builder integration comes later), run by the real scheduler, Job controller and EndpointSlice
controller. KWOK starts no container: env is checked as the kubelet would resolve it (the downward
API's completion-index annotation), and DNS answers are not tested (no CoreDNS here) - what the
DNS server would serve, the EndpointSlices with each rank's hostname and IP, is."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from nautiform import multinode

GPUS = 4  # fits every simulated node with nvidia.com/gpu (A10 x4, 3090 x4, 3090 x8)
LARGE_GPU = {"key": "nautilus.io/hardware", "operator": "Equal", "value": "large-gpu", "effect": "NoSchedule"}


def gpu_nodes_by_region(cluster) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n in cluster.get_json("nodes")["items"]:
        if int(n["status"].get("allocatable", {}).get("nvidia.com/gpu", "0")) >= GPUS:
            out.setdefault(n["metadata"]["labels"][multinode.REGION_KEY], []).append(n["metadata"]["name"])
    return out


def widest_region(cluster) -> tuple[str, int]:
    region, nodes = max(gpu_nodes_by_region(cluster).items(), key=lambda kv: (len(kv[1]), kv[0]))
    return region, len(nodes)


def run_objects(namespace: str, nodes: int, region: str | None = None):
    name = f"mn-{uuid.uuid4().hex[:6]}"
    run = multinode.MultiNode(job=name, service=name, namespace=namespace, nodes=nodes, gpus_per_node=GPUS,
                              port=29500, rdzv_timeout=300, labels={"nautiform.io/project": "mn"})
    mn = multinode.multinode(run)
    pod = {"restartPolicy": "Never", "tolerations": [LARGE_GPU], **mn.pod_spec,
           "containers": [{"name": "main", "image": "busybox", "command": ["torchrun", "train.py"], "env": mn.env,
                           "resources": {"requests": {"nvidia.com/gpu": str(GPUS)}, "limits": {"nvidia.com/gpu": str(GPUS)}}}]}
    if region:  # as the builder writes the user's `region:`
        pod["affinity"]["nodeAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": multinode.REGION_KEY, "operator": "In", "values": [region]}]}]}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": namespace},
           "spec": {**mn.job_spec, "template": {"spec": pod}}}
    return run, [mn.service, job]


def start(cluster, namespace, nodes, region=None):
    run, objs = run_objects(namespace, nodes, region)
    cluster.kubectl("create", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objs))
    return run


def wait(pred, timeout=60, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def ranks(cluster, namespace, run):
    pods = cluster.pods(namespace, f"{multinode.JOB_NAME_LABEL}={run.job}")
    return {int(p["metadata"]["annotations"][multinode.INDEX_ANNOTATION]): p for p in pods
            if not p["metadata"].get("deletionTimestamp")}


def running_ranks(cluster, namespace, run, n):
    def ready():
        got = ranks(cluster, namespace, run)
        return got if len(got) == n and all(p["status"].get("phase") == "Running" for p in got.values()) else None
    try:
        return wait(ready, what=f"{n} Running ranks of {run.job}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.describe_pending(namespace)}") from None


def job_condition(cluster, namespace, run, kind, timeout=60):
    def cond():
        job = cluster.get_json("job", run.job, "-n", namespace)
        return next((c for c in job["status"].get("conditions", []) if c["type"] == kind and c["status"] == "True"), None)
    return wait(cond, timeout, f"condition {kind} on job {run.job}")


def preempt(cluster, namespace, pod: dict) -> None:
    """End a pod as the scheduler's preemption does: condition DisruptionTarget, then killed (one write,
    so the Job controller never sees the exit code without the condition)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    term = {"exitCode": 137, "reason": "Error", "startedAt": now, "finishedAt": now}
    cluster.set_pod_status(pod["metadata"]["name"], namespace, {
        "phase": "Failed",
        "conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                        "lastTransitionTime": now},
                       {"type": "Ready", "status": "False", "lastTransitionTime": now}],
        "containerStatuses": [{"name": c["name"], "image": c["image"], "ready": False, "restartCount": 0,
                               "state": {"terminated": term}} for c in pod["spec"]["containers"]]})


def resolved_env(pod: dict) -> dict:
    """The container's env as the kubelet resolves it (fieldRef to the pod's annotations)."""
    out = {}
    for e in pod["spec"]["containers"][0]["env"]:
        if "value" in e:
            out[e["name"]] = e["value"]
        else:
            where, key = e["valueFrom"]["fieldRef"]["fieldPath"][len("metadata."):].split("['")
            out[e["name"]] = pod["metadata"][where][key.rstrip("']")]
    return out


def test_ranks_land_on_distinct_nodes_of_one_region_and_rank0_success_completes(cluster, namespace):
    region, n = widest_region(cluster)
    assert n >= 3, gpu_nodes_by_region(cluster)  # three ranks: nodes.yaml has three GPU nodes in us-west
    # the region given, as a user's `region:` is: unpinned, the first rank may start in a region that
    # cannot hold the others (see test_a_first_rank_decides_the_region)
    run = start(cluster, namespace, n, region)
    pods = running_ranks(cluster, namespace, run, n)
    nodes = {cluster.get_json("node", p["spec"]["nodeName"])["metadata"]["labels"][multinode.REGION_KEY]: 0 for p in pods.values()}
    assert list(nodes) == [region] and len({p["spec"]["nodeName"] for p in pods.values()}) == n
    for i, pod in pods.items():
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == (f"{run.job}-{i}", run.service)
        env = resolved_env(pod)
        assert env == {**{e["name"]: e.get("value") for e in multinode.env(run)},
                       "PET_NODE_RANK": str(i), "NODE_RANK": str(i), "RANK": str(i),
                       "JOB_COMPLETION_INDEX": str(i)}  # added by the Job controller
        assert env["PET_MASTER_ADDR"] == f"{pods[0]['spec']['hostname']}.{pods[0]['spec']['subdomain']}"
    # what cluster DNS serves <job>-<i>.<service> from: one endpoint per rank, with its hostname and IP
    def endpoints():
        slices = cluster.get_json("endpointslices", "-n", namespace, "-l", f"kubernetes.io/service-name={run.service}")
        got = {e.get("hostname"): e["addresses"][0] for s in slices["items"] for e in s.get("endpoints") or []}
        return got if len(got) == n else None
    assert wait(endpoints, what="an endpoint per rank") == {f"{run.job}-{i}": p["status"]["podIP"] for i, p in pods.items()}
    # rank 0 ends well while the others still run: the run has succeeded, the others are removed
    cluster.finish_pod(pods[0]["metadata"]["name"], namespace, 0)
    job_condition(cluster, namespace, run, "Complete")
    job = cluster.get_json("job", run.job, "-n", namespace)
    assert [c["type"] for c in job["status"]["conditions"] if c["status"] == "True"] == ["SuccessCriteriaMet", "Complete"]
    assert job["status"].get("failed", 0) == 0 and job["status"]["succeeded"] == 1
    wait(lambda: not cluster.running_pods(namespace, f"{multinode.JOB_NAME_LABEL}={run.job}"), what="other ranks removed")


@pytest.mark.parametrize("how", ["exit", "preempted"])
def test_one_failed_rank_fails_the_whole_run(cluster, namespace, how):
    region, n = widest_region(cluster)
    run = start(cluster, namespace, n, region)
    pods = running_ranks(cluster, namespace, run, n)
    last = pods[n - 1]["metadata"]["name"]
    if how == "exit":
        cluster.finish_pod(last, namespace, 1)
    else:
        preempt(cluster, namespace, pods[n - 1])
    failed = job_condition(cluster, namespace, run, "Failed")
    assert failed["reason"] == "PodFailurePolicy", failed
    assert failed["message"] == {
        "exit": f"Container main for pod {namespace}/{last} failed with exit code 1 matching FailJob rule at index 1",
        "preempted": f"Pod {namespace}/{last} has condition DisruptionTarget matching FailJob rule at index 0"}[how]
    # no rank is left waiting in a collective: the Job controller removes rank 0 too
    wait(lambda: not cluster.running_pods(namespace, f"{multinode.JOB_NAME_LABEL}={run.job}"), what="ranks removed")


def test_a_rank_beyond_the_region_waits_instead_of_leaving_it(cluster, namespace):
    """One rank more than the widest region has GPU nodes: the extra rank stays Pending, it neither
    goes to another region nor shares a node."""
    region, n = widest_region(cluster)
    run = start(cluster, namespace, n + 1, region=region)
    placed = wait(lambda: (lambda got: got if sum(bool(p["spec"].get("nodeName")) for p in got.values()) == n else None)(
        ranks(cluster, namespace, run)), what=f"{n} ranks placed")
    pending = [p for p in placed.values() if not p["spec"].get("nodeName")]
    assert len(placed) == n + 1 and len(pending) == 1
    reason = cluster.pending_reason(pending[0]["metadata"]["name"], namespace)
    assert "anti-affinity" in reason, reason


def test_a_first_rank_decides_the_region(cluster, namespace):
    """Without a region, the ranks follow wherever the first one was placed, even a region too small:
    they never split across regions."""
    _, n = widest_region(cluster)
    run = start(cluster, namespace, n)
    placed = wait(lambda: [p for p in ranks(cluster, namespace, run).values() if p["spec"].get("nodeName")], what="a rank placed")
    time.sleep(3)  # give the scheduler its chance to place the others
    placed = [p for p in ranks(cluster, namespace, run).values() if p["spec"].get("nodeName")]
    regions = {cluster.get_json("node", p["spec"]["nodeName"])["metadata"]["labels"][multinode.REGION_KEY] for p in placed}
    assert len(regions) == 1 and len({p["spec"]["nodeName"] for p in placed}) == len(placed)
