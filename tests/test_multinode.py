"""multinode.py: the pieces `nodes: N` compiles to (pure; the cluster test runs them for real)."""
import pytest

from nautiform import multinode as mn

RUN = mn.MultiNode(job="lab-train-1a2b3c4d", service="lab-train-1a2b3c4d", namespace="ns", nodes=3,
                   gpus_per_node=8, port=29500, rdzv_timeout=300)


def env_of(run):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in mn.env(run)}


def test_env_is_what_torchrun_and_pytorchjob_read():
    rank = {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}
    assert env_of(RUN) == {
        "PET_NNODES": "3", "PET_NPROC_PER_NODE": "8", "PET_NODE_RANK": rank,
        "PET_MASTER_ADDR": "lab-train-1a2b3c4d-0.lab-train-1a2b3c4d", "PET_MASTER_PORT": "29500",
        "PET_RDZV_BACKEND": "static", "PET_RDZV_ID": "lab-train-1a2b3c4d", "PET_RDZV_CONF": "timeout=300",
        "MASTER_ADDR": "lab-train-1a2b3c4d-0.lab-train-1a2b3c4d", "MASTER_PORT": "29500",
        "WORLD_SIZE": "3", "NODE_RANK": rank, "RANK": rank}
    names = [e["name"] for e in mn.env(RUN)]
    assert names == sorted(names)


def test_cpu_run_has_one_process_per_pod():
    assert env_of(RUN._replace(gpus_per_node=0))["PET_NPROC_PER_NODE"] == "1"


def test_service_is_headless_and_publishes_ranks_before_ready():
    svc = mn.service(RUN._replace(labels={"nautiform.io/project": "lab"}))
    assert svc["metadata"] == {"name": RUN.service, "namespace": "ns", "labels": {"nautiform.io/project": "lab"}}
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True
    assert svc["spec"]["selector"] == {"batch.kubernetes.io/job-name": RUN.job}


def test_job_spec_rank0_succeeds_any_rank_fails():
    spec = mn.job_spec(RUN)
    assert (spec["completionMode"], spec["completions"], spec["parallelism"], spec["backoffLimit"]) == ("Indexed", 3, 3, 0)
    assert spec["successPolicy"] == {"rules": [{"succeededIndexes": "0"}]}
    assert [r["action"] for r in spec["podFailurePolicy"]["rules"]] == ["FailJob", "FailJob"]


@pytest.mark.parametrize("same_zone,key", [(False, "topology.kubernetes.io/region"), (True, "topology.kubernetes.io/zone")])
def test_pod_spec_keeps_ranks_together_on_distinct_nodes(same_zone, key):
    spec = mn.pod_spec(RUN._replace(same_zone=same_zone))
    assert spec["subdomain"] == RUN.service
    [together] = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    [apart] = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert together["topologyKey"] == key and apart["topologyKey"] == "kubernetes.io/hostname"
    assert together["labelSelector"] == apart["labelSelector"] == {"matchLabels": {"batch.kubernetes.io/job-name": RUN.job}}


def test_check_refuses_what_the_api_server_would():
    assert mn.check(RUN) == []
    long = RUN._replace(job="j" * 62, service="s" * 64, nodes=10, port=0, rdzv_timeout=0)
    assert mn.check(long) == [
        f"job name {'j' * 62!r} is too long for rank hostnames: {'j' * 62 + '-9'!r} has 64 characters, at most 63",
        f"service name {'s' * 64!r} has 64 characters, at most 63",
        "port 0 is not a TCP port", "rendezvous timeout 0 must be at least 1 second"]
    with pytest.raises(ValueError, match="nodes must be at least 2"):
        mn.multinode(RUN._replace(nodes=1))


def test_fit_report():
    table = [mn.Node("a", "us-west", "ucsd", 8), mn.Node("b", "us-west", "sdsu", 8), mn.Node("c", "us-west", "ucsd", 4),
             mn.Node("d", "us-east", "mghpcc", 8)]
    assert mn.placements(table, 2, 8) == {"us-west": ["a", "b"]}
    assert mn.placements(table, 3, 8) == {}
    assert mn.placements(table, 2, 4, same_zone=True) == {"us-west/ucsd": ["a", "c"]}
    assert mn.need(4, 8, "A100") == "needs 4 nodes × 8 A100 in one region"
    assert mn.need(2, 4, same_zone=True) == "needs 2 nodes × 4 GPUs in one zone"


def test_violation_warning_from_five_gpu_ranks():
    assert mn.violation_warning(RUN._replace(nodes=4), 4) is None
    assert mn.violation_warning(RUN._replace(nodes=5, gpus_per_node=0), 4) is None
    assert mn.violation_warning(RUN._replace(nodes=5), 4) == (
        "5 ranks idle their GPUs during image pull and rendezvous (up to 300s); NRP refuses your new Jobs "
        "while more than 4 of your pods use their GPUs under 40%")
