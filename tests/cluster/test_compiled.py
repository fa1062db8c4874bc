"""What nautiform writes, proven on the real control plane: the API server accepts every tree, the
example really runs (PVCs bind, pods land where their GPU/region rules say, every Job and sweep index
completes with its own parameters), re-applying is a no-op, a changed spec is a new Job, and requests
no node can satisfy stay Pending with the scheduler's reason."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
TREES = [REPO / "generated"] + sorted((REPO / "tests" / "cases").glob("*/expected"))


def compile_copy(tmp_path: Path, text: str, namespace: str) -> Path:
    """Compile `text` (a project.yaml) with its namespace replaced, next to a copy of the example's image."""
    work = tmp_path / "project"
    work.mkdir(exist_ok=True)
    if not (work / "example").exists():
        shutil.copytree(REPO / "example", work / "example")
    data = YAML(typ="safe", pure=True).load(text)
    text = text.replace(f"namespace: {data['project']['namespace']}", f"namespace: {namespace}", 1)
    (work / "project.yaml").write_text(text)
    proc = subprocess.run([sys.executable, "-m", "nautiform", "compile", "project.yaml"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return work / "generated"


def namespaces_of(folder: Path) -> set[str]:
    yaml = YAML(typ="safe", pure=True)
    return {yaml.load(p.read_text())["metadata"]["namespace"] for p in folder.glob("*.yaml")
            if p.name != "kustomization.yaml"}


@pytest.mark.parametrize("folder", TREES, ids=[str(p.relative_to(REPO)) for p in TREES])
def test_server_side_dry_run_accepts_every_tree(cluster, folder):
    for ns in namespaces_of(folder):
        if cluster.kubectl("get", "namespace", ns, check=False).returncode != 0:
            cluster.kubectl("create", "namespace", ns)
    proc = cluster.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=nautiform", "-k", str(folder))
    assert "serverside-applied (server dry run)" in proc.stdout, proc.stdout


@pytest.fixture
def example(cluster, namespace, tmp_path):
    folder = compile_copy(tmp_path, (REPO / "project.example.yaml").read_text(), namespace)
    cluster.apply_dir(folder)
    return folder


def _labels(cluster, node: str) -> dict:
    return cluster.get_json("node", node)["metadata"]["labels"]


def test_example_runs_on_the_simulated_nautilus(cluster, namespace, example, tmp_path):
    def bound():  # both claims: the PV binder binds them one at a time
        claims = cluster.get_json("pvc", "-n", namespace)["items"]
        return claims if len(claims) == 2 and all(c["status"].get("phase") == "Bound" for c in claims) else None
    pvcs = cluster._poll(bound, 60, "both PVCs bound")
    assert sorted(c["metadata"]["name"] for c in pvcs) == ["cyclegan-data", "cyclegan-results"]
    jobs = cluster.run_jobs_to_completion(namespace, timeout=180)
    by_workload = {j["metadata"]["labels"]["nautiform.io/workload"]: j for j in jobs}
    assert set(by_workload) == {"dataset-horse2zebra", "train", "sweep-lr", "evaluate", "nautiform-gate"}
    assert by_workload["sweep-lr"]["status"]["succeeded"] == 6

    for pod in cluster.pods(namespace):
        workload = pod["metadata"]["labels"]["nautiform.io/workload"]
        labels = _labels(cluster, pod["spec"]["nodeName"])
        if workload.startswith("dataset-") or workload == "nautiform-gate":
            continue  # the data Job and the gate ask for no GPU
        if workload == "evaluate":
            assert labels["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-80GB"
            assert labels["topology.kubernetes.io/region"] in ("us-west", "us-central")
        else:
            assert labels["nvidia.com/gpu.product"] in ("NVIDIA-A10", "NVIDIA-GeForce-RTX-3090")
            assert labels["topology.kubernetes.io/region"] == "us-west"

    # Ordering: KWOK runs no containers, so check the wiring on the live pods instead: every pod that
    # reads horse2zebra first runs `wait` on the data Job's spec, on the same claim and sub-path that the
    # data Job fills (the `wait` semantics themselves run for real in tests/data).
    (fetch_pod,) = cluster.pods(namespace, "nautiform.io/workload=dataset-horse2zebra")
    fetch = fetch_pod["spec"]["containers"][0]["command"]
    fetch_dest = fetch[fetch.index("--dest") + 1]
    assert fetch_dest == "/mnt/data/datasets/horse2zebra"
    for pod in cluster.pods(namespace):
        if pod["metadata"]["labels"]["nautiform.io/workload"] not in ("train", "sweep-lr"):
            continue
        waits = [c for c in pod["spec"]["initContainers"] if c["name"] == "wait-horse2zebra"]
        assert len(waits) == 1, pod["metadata"]["name"]
        cmd = waits[0]["command"]
        assert cmd[2:4] == ["wait", fetch[3]]  # the same spec as the data Job
        mount = next(m for m in waits[0]["volumeMounts"] if m["name"] == "vol-data")
        claim = next(v for v in pod["spec"]["volumes"] if v["name"] == "vol-data")["persistentVolumeClaim"]
        assert claim["claimName"] == "cyclegan-data"
        assert cmd[cmd.index("--dest") + 1] == mount["mountPath"] + "/datasets/horse2zebra"

    # Each sweep pod's point: run the launcher from the live ConfigMap with that pod's index.
    cm = next(c for c in cluster.get_json("configmap", "-n", namespace, "-l", "nautiform.io/workload=sweep-lr")["items"])
    folder = tmp_path / "sweep"
    folder.mkdir()
    for key, value in cm["data"].items():
        (folder / key).write_text(value)
    fake = tmp_path / "bin"
    fake.mkdir()
    for program in ("python", "python3"):  # stand in for the user's program and the outputs wrapper
        (fake / program).write_text('#!/bin/sh\nprintf "%s " "$@"\n')
        (fake / program).chmod(stat.S_IRWXU)
    seen = set()
    sweep_pods = cluster.pods(namespace, "nautiform.io/workload=sweep-lr")
    for pod in sweep_pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        script = (folder / "run.sh").read_text().replace("d=/etc/nautiform/sweep", f"d={folder}")
        out = subprocess.run(["/bin/sh", "-c", script], env={"JOB_COMPLETION_INDEX": index,
                             "PATH": f"{fake}:/usr/bin:/bin"}, capture_output=True, text=True, check=True).stdout
        wrapper, args = out.split(" -- ")[0].split(), out.split(" -- ")[1].split()
        point = (args[args.index("--lr") + 1], args[args.index("--lambda_A") + 1])
        key = f"lr={point[0]},lambda_a={point[1]}"  # a point's outputs are named by its values, not its index
        assert wrapper[wrapper.index("--to") + 1] == f"s3://vision-lab-results/cyclegan/sweep-lr/{key}"
        assert args[args.index("--name") + 1] == f"lr{point[0]}-la{point[1]}"
        seen.add((int(index), point))
    assert len({p for _, p in seen}) == 6 and {i for i, _ in seen} == set(range(6))


def test_reapply_changes_nothing_and_changed_spec_is_a_new_job(cluster, namespace, example, tmp_path):
    def versions():
        items = cluster.get_json("jobs,configmaps,pvc,pods", "-n", namespace, "-l", "nautiform.io/project=cyclegan")
        return {(o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"]
                for o in items["items"] if o["kind"] != "Pod"}
    cluster.run_jobs_to_completion(namespace, timeout=180)
    before = versions()
    cluster.apply_dir(example)
    assert versions() == before

    # A changed input (the command) is a new Job name: applying never meets "field is immutable".
    text = (REPO / "project.example.yaml").read_text().replace("--model, cycle_gan, --checkpoints_dir, /results]\n"
                                                              "    scratch:", "--model, cycle_gan, --checkpoints_dir, "
                                                              "/results, --epochs, '9']\n    scratch:", 1)
    changed = compile_copy(tmp_path, text, namespace)
    proc = cluster.apply_dir(changed, check=False)
    assert proc.returncode == 0 and "immutable" not in proc.stderr, proc.stderr
    trains = [j["metadata"]["name"] for j in cluster.get_json("jobs", "-n", namespace, "-l",
                                                              "nautiform.io/workload=train")["items"]]
    assert len(trains) == 2  # the old one stays until `nautiform apply` prunes it


UNSATISFIABLE = """\
version: 1
project: {{name: nofit, namespace: x, profile: generic}}
image: {{ref: "busybox:1.36"}}
workloads:
  train:
    kind: job
    command: [sh, -c, "echo hi"]
    cpu: 1
    memory: 1Gi
    gpu: {gpu}
"""


@pytest.mark.parametrize("gpu,reason", [
    ("{count: 1, products: [NVIDIA-GeForce-RTX-9999]}", "didn't match Pod's node affinity/selector"),
    ("{count: 9}", "Insufficient nvidia.com/gpu"),
])
def test_unsatisfiable_request_stays_pending_with_reason(cluster, namespace, tmp_path, gpu, reason):
    folder = compile_copy(tmp_path, UNSATISFIABLE.format(gpu=gpu), namespace)
    cluster.apply_dir(folder)
    pod = cluster._poll(lambda: cluster.pods(namespace) or None, 60, "the Job's pod")[0]
    message = cluster.pending_reason(pod["metadata"]["name"], namespace)
    assert reason in message, message
