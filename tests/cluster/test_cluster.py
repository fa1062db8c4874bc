"""End-to-end checks of the local control plane and its simulated Nautilus (no compiler involved).

Everything here runs through the real kube-apiserver (validation, admission, immutability), the real
kube-scheduler (affinity, taints, extended resources) and the real kube-controller-manager (Job and
PV-binder controllers); only the kubelets are faked by kwok.
"""
import json
import time

import pytest

from cluster_harness import ClusterError

pytestmark = pytest.mark.cluster


def job(name: str, *, product: str | None = None, gpus: int = 1, resource: str = "nvidia.com/gpu",
        completions: int = 3, command: str = "echo task $JOB_COMPLETION_INDEX",
        tolerations: list | None = None) -> str:
    affinity = {}
    if product:
        affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "nvidia.com/gpu.product", "operator": "In", "values": [product]}]}]}}}
    res = {"cpu": "1", "memory": "2Gi", resource: str(gpus)}
    spec = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {
            "completionMode": "Indexed", "completions": completions, "parallelism": completions,
            "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never", "affinity": affinity, "tolerations": tolerations or [],
                "containers": [{"name": "main", "image": "busybox:1.36",
                                "command": ["sh", "-c", command],
                                "resources": {"requests": res, "limits": res}}]}},
        },
    }
    return json.dumps(spec)


def pod(name: str, *, product: str | None = None, gpus: int = 1) -> str:
    spec = {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["true"],
                            "resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]}
    if product:
        spec["nodeSelector"] = {"nvidia.com/gpu.product": product}
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def test_simulated_nautilus_nodes(cluster):
    nodes = {n["metadata"]["name"]: n for n in cluster.get_json("nodes")["items"]}
    products = {n["metadata"]["labels"].get("nvidia.com/gpu.product") for n in nodes.values()}
    assert {"NVIDIA-A10", "NVIDIA-GeForce-RTX-3090", "NVIDIA-A100-SXM4-80GB"} <= products
    for n in nodes.values():
        ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", n["metadata"]["name"]
        assert not any(t["key"].startswith("kwok.x-k8s.io") for t in n["spec"].get("taints", []))
    a100 = nodes["nrp-a100-central"]
    assert a100["status"]["allocatable"]["nvidia.com/a100"] == "4"
    assert "nvidia.com/gpu" not in a100["status"]["allocatable"]
    assert a100["metadata"]["labels"]["nvidia.com/gpu.memory"] == "81920"
    large = nodes["nrp-3090x8-west"]
    assert {"key": "nautilus.io/hardware", "value": "large-gpu", "effect": "NoSchedule"} in large["spec"]["taints"]
    classes = {c["metadata"]["name"]: c for c in cluster.get_json("storageclasses")["items"]}
    assert classes["rook-ceph-block"]["metadata"]["annotations"][
        "storageclass.kubernetes.io/is-default-class"] == "true"
    assert all(classes[c]["allowVolumeExpansion"] for c in ("rook-cephfs", "rook-cephfs-east"))


def test_indexed_job_completes_on_requested_gpu_product(cluster, namespace):
    cluster.apply_yaml(job("train", product="NVIDIA-A10"), namespace)
    [done] = cluster.run_jobs_to_completion(namespace, timeout=120)
    assert done["status"]["succeeded"] == 3
    assert done["status"]["completedIndexes"] == "0-2"
    pods = cluster.pods(namespace, "job-name=train")
    assert {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods} \
        >= {"0", "1", "2"}
    assert {p["spec"]["nodeName"] for p in pods} <= {"nrp-a10-west", "nrp-a10-west-2"}
    assert {p["status"]["phase"] for p in pods} == {"Succeeded"}


def test_a100_special_resource_and_large_gpu_taint(cluster, namespace):
    cluster.apply_yaml(job("a100", product="NVIDIA-A100-SXM4-80GB", resource="nvidia.com/a100",
                           completions=1), namespace)
    large_toleration = [{"key": "nautilus.io/hardware", "operator": "Equal", "value": "large-gpu",
                         "effect": "NoSchedule"}]
    cluster.apply_yaml(job("eight", gpus=8, completions=1, tolerations=large_toleration), namespace)
    cluster.run_jobs_to_completion(namespace, timeout=120)
    nodes = {p["metadata"]["labels"]["job-name"]: p["spec"]["nodeName"] for p in cluster.pods(namespace)}
    assert nodes == {"a100": "nrp-a100-central", "eight": "nrp-3090x8-west"}


def test_pvcs_bind_to_nrp_classes(cluster, namespace):
    pvcs = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec:
  storageClassName: rook-cephfs
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 20Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
"""
    cluster.apply_yaml(pvcs, namespace)

    def bound():
        items = cluster.get_json("pvc", "-n", namespace)["items"]
        return items if all(i.get("status", {}).get("phase") == "Bound" for i in items) else None
    claims = {c["metadata"]["name"]: c for c in cluster._poll(bound, 60, "PVCs to bind")}
    # The PV binder picks the smallest fitting PV of the class; the default class is rook-ceph-block.
    assert claims["shared"]["status"]["capacity"]["storage"] == "50Gi"
    assert claims["shared"]["spec"]["volumeName"].startswith("rook-cephfs-50gi-")
    assert claims["scratch"]["spec"]["storageClassName"] == "rook-ceph-block"
    assert claims["scratch"]["spec"]["volumeName"].startswith("rook-ceph-block-10gi-")


def test_pvc_expansion_is_admitted_and_shrinking_is_refused(cluster, namespace):
    cluster.apply_yaml("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: grow}
spec:
  storageClassName: rook-cephfs-east
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
""", namespace)
    cluster._poll(lambda: cluster.get_json("pvc", "grow", "-n", namespace)["status"].get("phase") == "Bound",
                  60, "PVC grow to bind")
    grow = cluster.kubectl("patch", "pvc", "grow", "-n", namespace, "--type=merge",
                           "-p", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}', check=False)
    assert grow.returncode == 0, grow.stderr  # allowVolumeExpansion: true on the class
    shrink = cluster.kubectl("patch", "pvc", "grow", "-n", namespace, "--type=merge",
                             "-p", '{"spec":{"resources":{"requests":{"storage":"500Mi"}}}}', check=False)
    assert shrink.returncode != 0 and "field can not be less than" in shrink.stderr


def test_unsatisfiable_requests_stay_pending_with_scheduler_reason(cluster, namespace):
    cluster.apply_yaml(pod("nine-gpus", gpus=9), namespace)
    cluster.apply_yaml(pod("no-such-gpu", product="NVIDIA-H999"), namespace)
    nine = cluster.pending_reason("nine-gpus", namespace)
    assert "0/6 nodes are available" in nine
    assert "Insufficient nvidia.com/gpu" in nine
    unknown = cluster.pending_reason("no-such-gpu", namespace)
    assert "didn't match Pod's node affinity/selector" in unknown
    for name in ("nine-gpus", "no-such-gpu"):
        p = cluster.get_json("pod", name, "-n", namespace)
        assert p["status"]["phase"] == "Pending" and not p["spec"].get("nodeName")


def test_apiserver_enforces_job_template_immutability(cluster, namespace):
    cluster.apply_yaml(job("immutable", product="NVIDIA-A10", completions=1), namespace)
    changed = cluster.apply_yaml(job("immutable", product="NVIDIA-A10", completions=1,
                                     command="echo changed"), namespace, check=False)
    assert changed.returncode != 0
    assert "field is immutable" in changed.stderr


def test_harness_reports_kubectl_errors(cluster):
    with pytest.raises(ClusterError, match="NotFound|not found"):
        cluster.kubectl("get", "namespace", "nautiform-does-not-exist")


def test_job_pods_keep_running_until_the_test_ends_them(cluster, namespace):
    """Simulated time: KWOK starts pods and leaves them Running (tests/cluster/kwok-stages.yaml), as a
    days-long training run would be; only the test decides when and how one ends."""
    cluster.apply_yaml(job("long", product="NVIDIA-A10", completions=1), namespace)
    (pod,) = cluster._poll(lambda: cluster.running_pods(namespace, "job-name=long") or None, 60, "a Running pod")
    time.sleep(3)
    still = cluster.get_json("pod", pod["metadata"]["name"], "-n", namespace)
    assert still["status"]["phase"] == "Running" and still["metadata"]["uid"] == pod["metadata"]["uid"]
    assert cluster.get_json("job", "long", "-n", namespace)["status"].get("active") == 1
    cluster.finish_pod(pod["metadata"]["name"], namespace, exit_code=0)
    cluster._poll(lambda: cluster._condition(cluster.get_json("job", "long", "-n", namespace), "Complete"),
                  60, "the Job Complete after its pod exited 0")
