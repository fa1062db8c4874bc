"""Multi-node runs without an operator (issue 17): what `nodes: N` compiles to, as pure data.

A run of N nodes is ONE Indexed Job of N pods (rank = completion index) plus a headless Service that
gives every rank a DNS name, `<job>-<i>.<service>`, from the moment its pod has an IP (not when it is
Ready: `publishNotReadyAddresses`, or rank 0's name would not exist while ranks rendezvous). The
builder calls `multinode(...)` and merges the pieces into what it already builds:

    mn = multinode(MultiNode(job=NAME, service=SVC, namespace=NS, nodes=3, gpus_per_node=8))
    job["spec"].update(mn.job_spec)              # Indexed, N completions, success/failure policies
    pod_spec.update(mn.pod_spec)                 # subdomain, affinity (merge with the user's nodeAffinity)
    container["env"] += mn.env                   # PET_*, MASTER_ADDR, WORLD_SIZE, NODE_RANK, RANK
    manifests.append(mn.service)                 # the headless Service

Rendezvous is torchrun's *static* one (Kubeflow Trainer v2 sets the same PET_ variables): node rank =
pod index, rank 0's pod hosts the TCPStore at PET_MASTER_ADDR:PET_MASTER_PORT, so "rank 0" of the
program is pod 0, whose success ends the run (`successPolicy`). `torchrun train.py` needs no flags.

Failure: any rank that fails ends the whole Job (`podFailurePolicy` FailJob, `backoffLimit: 0`), and
so does a preempted rank: a plain Job can only re-create the one lost pod, and its peers would sit in a
collective (NCCL) or a rendezvous that can never complete, idle GPUs holding the namespace's violation
count up, until a timeout. A failed run is visible and `nautiform rerun` starts it again from its
checkpoints; restarting all ranks together needs a controller (JobSet's FailurePolicy), which NRP
does not have.
"""
from __future__ import annotations

from collections import namedtuple

INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"  # set by the Job controller on every pod it creates
REGION_KEY = "topology.kubernetes.io/region"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"
DEFAULT_PORT = 29500          # torchrun's default master port
DEFAULT_RDZV_TIMEOUT = 600    # seconds; torchrun's static rendezvous default, and ~10 min of idle GPUs at most
MAX_LABEL = 63


class MultiNode(namedtuple("MultiNode", "job service namespace nodes gpus_per_node port rdzv_timeout same_zone labels",
                           defaults=(DEFAULT_PORT, DEFAULT_RDZV_TIMEOUT, False, None))):
    """job: the Job's name; service: the headless Service's name (the builder may reuse the Job's);
    nodes: N >= 2; gpus_per_node: GPUs of one pod (0 for a CPU run: one process per pod);
    rdzv_timeout: seconds the ranks wait for each other; same_zone: keep ranks in one zone, not only
    one region; labels: the project's labels for the Service."""

    __slots__ = ()


Fragments = namedtuple("Fragments", "env service job_spec pod_spec")


def check(mn: MultiNode) -> list[str]:
    """Problems that would make the objects invalid; the builder turns them into diagnostics (a name
    is derived once, in the names stage, so this only checks what it is given)."""
    out = []
    if mn.nodes < 2:
        out.append(f"nodes must be at least 2 (got {mn.nodes}); one node is a plain job")
    longest = f"{mn.job}-{mn.nodes - 1}"  # the Job controller names rank i's host `<job>-<i>`
    if len(longest) > MAX_LABEL:
        out.append(f"job name {mn.job!r} is too long for rank hostnames: {longest!r} has {len(longest)} "
                   f"characters, at most {MAX_LABEL}")
    if len(mn.service) > MAX_LABEL:
        out.append(f"service name {mn.service!r} has {len(mn.service)} characters, at most {MAX_LABEL}")
    if not 1 <= mn.port <= 65535:
        out.append(f"port {mn.port} is not a TCP port")
    if mn.rdzv_timeout < 1:
        out.append(f"rendezvous timeout {mn.rdzv_timeout} must be at least 1 second")
    return out


def master_addr(mn: MultiNode) -> str:
    """Rank 0's name: resolvable inside the namespace through the pod's DNS search path."""
    return f"{mn.job}-0.{mn.service}"


def env(mn: MultiNode) -> list[dict]:
    """The variables torchrun reads (PET_<FLAG>, one per command-line flag) and those other launchers
    and `init_process_group("env://")` read. Sorted by name, as the emitter sorts env."""
    rank = {"valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_ANNOTATION}']"}}}
    plain = {
        "PET_NNODES": str(mn.nodes),
        # one worker process per GPU; a CPU run has one process per pod
        "PET_NPROC_PER_NODE": str(mn.gpus_per_node or 1),
        "PET_MASTER_ADDR": master_addr(mn),
        "PET_MASTER_PORT": str(mn.port),
        "PET_RDZV_BACKEND": "static",
        "PET_RDZV_ID": mn.job,
        # static rendezvous: how long rank 0's store waits for every rank, and a rank for rank 0
        "PET_RDZV_CONF": f"timeout={mn.rdzv_timeout}",
        "MASTER_ADDR": master_addr(mn),
        "MASTER_PORT": str(mn.port),
        # PyTorchJob's meaning: pods, not processes (torchrun replaces both for its workers)
        "WORLD_SIZE": str(mn.nodes),
    }
    out = [{"name": k, "value": v} for k, v in plain.items()]
    out += [{"name": k, **rank} for k in ("PET_NODE_RANK", "NODE_RANK", "RANK")]
    return sorted(out, key=lambda e: e["name"])


def selector(mn: MultiNode) -> dict:
    return {JOB_NAME_LABEL: mn.job}


def service(mn: MultiNode) -> dict:
    meta = {"name": mn.service, "namespace": mn.namespace}
    if mn.labels:
        meta["labels"] = dict(mn.labels)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"clusterIP": "None",
                     # a rank's name must resolve while ranks wait for each other, i.e. before Ready
                     "publishNotReadyAddresses": True,
                     "selector": selector(mn),
                     "ports": [{"name": "rendezvous", "port": mn.port, "protocol": "TCP", "targetPort": mn.port}]}}


def job_spec(mn: MultiNode) -> dict:
    return {
        "completionMode": "Indexed",
        "completions": mn.nodes,
        "parallelism": mn.nodes,
        # rank 0 finishing is the run finishing; the Job controller then removes the other ranks
        "successPolicy": {"rules": [{"succeededIndexes": "0"}]},
        # Any failure of any rank fails the run at once; anything the rules miss (an eviction
        # without a condition, a deadline) too, through backoffLimit 0. Preemption included: see
        # the module docstring.
        "backoffLimit": 0,
        "podFailurePolicy": {"rules": [
            {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0]}},
        ]},
    }


def pod_spec(mn: MultiNode) -> dict:
    """subdomain (with the hostname the Job controller sets, gives the DNS name) and placement: all ranks
    in the topology domain of the first one placed (region, or zone), never two on one node. The
    first rank may go anywhere its nodeAffinity allows (the scheduler lets a pod that matches its own
    affinity term start a domain)."""
    term = {"labelSelector": {"matchLabels": selector(mn)}}
    return {
        "subdomain": mn.service,
        "affinity": {
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {**term, "topologyKey": ZONE_KEY if mn.same_zone else REGION_KEY}]},
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {**term, "topologyKey": HOST_KEY}]},
        },
    }


def multinode(mn: MultiNode) -> Fragments:
    problems = check(mn)
    if problems:
        raise ValueError("; ".join(problems))
    return Fragments(env(mn), service(mn), job_spec(mn), pod_spec(mn))


# ---- what fits: for `plan`, `status` and `gpus` (they supply the free GPUs per node) ------------------

Node = namedtuple("Node", "name region zone free_gpus")


def need(nodes: int, gpus_per_node: int, product: str | None = None, same_zone: bool = False) -> str:
    """'needs 4 nodes × 8 A100 in one region'"""
    what = f"{gpus_per_node} {product}" if product else f"{gpus_per_node} GPUs"
    return f"needs {nodes} nodes × {what} in one {'zone' if same_zone else 'region'}"


def placements(table, nodes: int, gpus_per_node: int, same_zone: bool = False) -> dict[str, list[str]]:
    """Regions (or zones) where `nodes` distinct nodes each have `gpus_per_node` free GPUs now, with the
    nodes that could host a rank there (sorted). Empty: the run does not fit now."""
    by_domain: dict[str, list[str]] = {}
    for node in table:
        if node.free_gpus >= gpus_per_node:
            domain = f"{node.region}/{node.zone}" if same_zone else node.region
            by_domain.setdefault(domain, []).append(node.name)
    return {d: sorted(names) for d, names in sorted(by_domain.items()) if len(names) >= nodes}


def violation_warning(mn: MultiNode, limit: int) -> str | None:
    """The nautilus profile's warning (a lint rule calls this with the profile's limit, 4 on NRP): every
    rank holds GPUs at 0% while its image is pulled and while it waits for the others, and NRP's
    admission gate refuses a user's new Jobs while more than `limit` of their pods run under 40% GPU
    use (shared/nrp-facts.md section 9, third-party observation)."""
    if not mn.gpus_per_node or mn.nodes <= limit:
        return None
    return (f"{mn.nodes} ranks idle their GPUs during image pull and rendezvous (up to {mn.rdzv_timeout}s); "
            f"NRP refuses your new Jobs while more than {limit} of your pods use their GPUs under 40%")
