"""Issue 14 on the local control plane: a project written with the fields real Nautilus projects needed
(labels, per-workload image and code, placement, emptyDirs, security, setup steps, submit-time values,
repository files, replicas, a service, patches) compiles, passes `check`, and `nautiform apply` puts it on
the cluster: the API server accepts every object and the scheduler places each pod where the spec says."""
from __future__ import annotations

from lifecycle import Project

LARGE_GPU = "{key: nautilus.io/hardware, operator: Equal, value: large-gpu, effect: NoSchedule}"
PROJECT = """\
version: 1
project:
  name: every
  namespace: {ns}
  owner: alice
  labels: {{lab.example.edu/group: vision}}
  annotations: {{lab.example.edu/contact: "alice@example.edu"}}
image: {{ref: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"}}
code: {{repo: "https://gitlab.nrp-nautilus.io/lab/every.git", ref: main, depth: 1, submodules: true}}
values:
  run_id: {{description: "the pipeline that deployed", from_env: CI_PIPELINE_ID, default: local}}
  sweep_id: {{description: "the W&B sweep the agents join"}}
volumes:
  data: {{size: 1Gi, storage_class: rook-cephfs, access_mode: ReadWriteMany}}
defaults:
  cpu: 1
  memory: 2Gi
  image_pull_policy: IfNotPresent
  field_env: {{POD_NAME: metadata.name, NODE_NAME: spec.nodeName}}
  value_env: {{RUN_ID: run_id}}
workloads:
  train:
    kind: job
    command: [python, train.py, --config, /etc/train/train.yaml]
    gpu: {{count: 1, products: [NVIDIA-A10]}}
    region: [us-west]
    avoid_hosts: [nrp-a10-west]
    labels: {{lab.example.edu/stage: train}}
    mounts: {{data: /data}}
    files: {{/etc/train/train.yaml: configs/train.yaml}}
    empty_dirs:
      /tmp/cache: {{size: 2Gi}}
      /dev/fast: {{memory: true, size: 256Mi}}
    shm: true
    security: {{run_as_user: 1000, run_as_group: 1000, fs_group: 1000, fs_group_change_policy: OnRootMismatch}}
    setup:
      - {{name: own-data, command: "chown -R 1000:1000 /data", as_root: true}}
      - {{name: venv, command: "python -m venv /tmp/cache/venv && /tmp/cache/venv/bin/pip install -r requirements.txt"}}
    restart_policy: OnFailure
    container: {{readinessProbe: {{exec: {{command: [cat, /tmp/ready]}}}}}}
    pod: {{dnsConfig: {{options: [{{name: ndots, value: "2"}}]}}}}
  pinned:
    kind: job
    command: [python, bench.py]
    gpu: {{count: 1, products: [NVIDIA-A10]}}
    hosts: [nrp-a10-west]
  agents:
    kind: job
    command: [wandb, agent, "lab/every/$(SWEEP_ID)"]
    replicas: 3
    gpu: {{count: 1, products: [NVIDIA-A10, NVIDIA-GeForce-RTX-3090]}}
    region: [us-west, us-east]
    prefer_regions: [us-east]
    value_env: {{SWEEP_ID: sweep_id}}
  wide:
    kind: job
    command: [python, big.py]
    gpu: {{count: 2, products: [NVIDIA-GeForce-RTX-3090]}}
    node_labels: {{nautilus.io/network: "100000"}}
    avoid_zones: [mghpcc]
    tolerations: [{large}]
  fetch:
    kind: job
    image: "amazon/aws-cli:2.17.0"
    code: false
    workdir: /data
    command: [aws, s3, sync, "s3://lab-bucket/raw", /data/raw]
    mounts: {{data: /data}}
    zones: [unl]
  board:
    kind: service
    image: "tensorflow/tensorflow:2.17.0"
    code: false
    command: [tensorboard, --logdir, /data/runs, --bind_all]
    port: {port}
    mounts: {{data: /data}}
"""


def _project(cluster, tmp_path, namespace, port: int = 6006) -> Project:
    p = Project(cluster, tmp_path / "every", namespace)
    (p.path / "configs").mkdir(exist_ok=True)
    (p.path / "configs" / "train.yaml").write_text("lr: 0.001\nbatch: 64\n")
    return p.write(PROJECT.format(ns=namespace, large=LARGE_GPU, port=port))


def _node_of(cluster, namespace, workload: str, count: int = 1) -> list[dict]:
    pods = cluster._poll(lambda: (lambda ps: ps if len(ps) == count else None)(
        cluster.running_pods(namespace, f"nautiform.io/workload={workload}")), 90, f"{count} {workload} pods Running")
    nodes = {n["metadata"]["name"]: n for n in cluster.get_json("nodes")["items"]}
    return [nodes[p["spec"]["nodeName"]] for p in pods]


def _free_gpus(cluster, node: str) -> int:
    used = sum(int((c.get("resources", {}).get("limits") or {}).get("nvidia.com/gpu", 0))
               for pod in cluster.get_json("pods", "--all-namespaces", "--field-selector",
                                            f"spec.nodeName={node}")["items"]
               if pod["status"].get("phase") not in ("Succeeded", "Failed") for c in pod["spec"]["containers"])
    return 4 - used


def test_every_new_field_is_accepted_and_placed_where_the_spec_says(cluster, namespace, tmp_path):
    p = _project(cluster, tmp_path, namespace)
    check = p.run("check")
    assert check.returncode == 0, check.stdout + check.stderr
    # earlier tests' namespaces are deleted without waiting: their pods may hold the us-east GPUs a moment
    cluster._poll(lambda: _free_gpus(cluster, "nrp-3090-east") >= 3, 120, "3 free GPUs on nrp-3090-east")
    refused = p.apply(ok=False)  # sweep_id has no default: nothing is applied without it
    assert refused.returncode == 1 and "value 'sweep_id' has no default" in refused.stderr
    assert p.objects("jobs,deployments,configmaps", "nautiform.io/project=every") == {}
    run = p.apply("--value", "sweep_id=abc123", env={"CI_PIPELINE_ID": "4242"})
    assert "created   deployment/every-board" in run.stdout and "created   service/every-board" in run.stdout

    values = cluster.get_json("configmap", "every-values", "-n", namespace)["data"]
    assert values == {"run_id": "4242", "sweep_id": "abc123"}
    [train] = _node_of(cluster, namespace, "train")
    assert train["metadata"]["name"] == "nrp-a10-west-2"  # A10 in us-west, not the avoided host
    [pinned] = _node_of(cluster, namespace, "pinned")
    assert pinned["metadata"]["name"] == "nrp-a10-west"
    assert {n["metadata"]["name"] for n in _node_of(cluster, namespace, "agents", 3)} == {"nrp-3090-east"}
    [wide] = _node_of(cluster, namespace, "wide")
    assert wide["metadata"]["name"] == "nrp-3090x8-west"  # the 100 Gb/s node, outside mghpcc
    [fetch] = _node_of(cluster, namespace, "fetch")
    assert fetch["metadata"]["labels"]["topology.kubernetes.io/zone"] == "unl"

    pod = cluster.running_pods(namespace, "nautiform.io/workload=train")[0]
    assert pod["metadata"]["labels"]["lab.example.edu/stage"] == "train"
    assert pod["metadata"]["labels"]["lab.example.edu/group"] == "vision"
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["checkout", "setup-own-data", "setup-venv"]
    assert pod["spec"]["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
    assert pod["spec"]["restartPolicy"] == "OnFailure" and pod["spec"]["dnsConfig"]["options"][0]["name"] == "ndots"
    agents = sorted(cluster.running_pods(namespace, "nautiform.io/workload=agents"),
                    key=lambda q: q["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"])
    env = [{e["name"]: e for e in q["spec"]["containers"][0]["env"]} for q in agents]
    assert [e["REPLICA"]["valueFrom"]["fieldRef"]["fieldPath"] for e in env] == [
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"] * 3
    assert env[0]["SWEEP_ID"]["valueFrom"]["configMapKeyRef"] == {"name": "every-values", "key": "sweep_id"}

    board = cluster._poll(lambda: (lambda d: d if d.get("status", {}).get("availableReplicas") == 1 else None)(
        cluster.get_json("deployment", "every-board", "-n", namespace)), 90, "the board Deployment available")
    service = cluster.get_json("service", "every-board", "-n", namespace)
    selector = ",".join(f"{k}={v}" for k, v in service["spec"]["selector"].items())
    assert len(cluster.running_pods(namespace, selector)) == 1 and service["spec"]["ports"][0]["port"] == 6006

    # A new value reaches pods started from now on; it restarts nothing.
    uids = p.uids("jobs,pods,deployments")
    again = p.apply("--value", "sweep_id=def456")
    assert "updated   configmap/every-values" in again.stdout and "deployment/every-board" in again.stdout
    assert cluster.get_json("configmap", "every-values", "-n", namespace)["data"]["sweep_id"] == "def456"
    assert p.uids("jobs,pods,deployments") == uids
    assert cluster.get_json("deployment", "every-board", "-n", namespace)["metadata"]["generation"] == \
        board["metadata"]["generation"]

    # A changed service is updated in place: the same Deployment, a new generation; the runs keep going.
    p.write(PROJECT.format(ns=namespace, large=LARGE_GPU, port=6007))
    plan = p.run("apply", "--dry-run", "--value", "sweep_id=def456")
    assert "update    deployment/every-board: its pod template or replicas changed" in plan.stdout, plan.stdout
    p.apply("--value", "sweep_id=def456")
    moved = cluster.get_json("deployment", "every-board", "-n", namespace)
    assert moved["metadata"]["uid"] == board["metadata"]["uid"]
    assert moved["metadata"]["generation"] == board["metadata"]["generation"] + 1
    assert cluster.get_json("service", "every-board", "-n", namespace)["spec"]["ports"][0]["port"] == 6007
    assert {k: v for k, v in p.uids("jobs").items()} == {k: v for k, v in uids.items() if k[0] == "Job"}

