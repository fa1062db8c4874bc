"""Issue 17 through the compiler: `nodes: N` and `sweep: {search: ...}` written in project.yaml, compiled,
and deployed with `nautiform apply` on the local control plane. The runtime parts (multinode.py's policies,
the search driver) have their own tests; these check that what the language produces runs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from lifecycle import Project
from nautiform.runtime import nautiform_search as ns

LARGE_GPU = "{key: nautilus.io/hardware, operator: Equal, value: large-gpu, effect: NoSchedule}"
MULTINODE = """\
version: 1
project: {{name: mn, namespace: {ns}}}
image: {{ref: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"}}
workloads:
  pretrain:
    kind: job
    command: [torchrun, train.py]
    nodes: {nodes}
    cpu: 1
    memory: 1Gi
    gpu: {{count: 1}}
    region: [us-west]
    tolerations: [{toleration}]
"""
SEARCH = """\
version: 1
project: {{name: hp, namespace: {ns}, profile: generic}}
image: {{ref: "python:3.12"}}
workloads:
  search:
    kind: sweep
    command: [python, train.py, --x, "{{x}}"]
    cpu: 100m
    memory: 64Mi
    sweep:
      search: {{metric: loss, trials: 4, parallel: 2, seed: 1, params: {{x: {{uniform: [-3, 3]}}}}}}
"""


def west_gpu_nodes(cluster) -> list[str]:
    return [n["metadata"]["name"] for n in cluster.get_json("nodes")["items"]
            if n["metadata"]["labels"].get("topology.kubernetes.io/region") == "us-west"
            and int(n["status"].get("allocatable", {}).get("nvidia.com/gpu", "0")) > 0]


def test_nodes_n_runs_one_rank_per_node_in_one_region_and_rank_0_ends_it(cluster, namespace, tmp_path):
    nodes = min(3, len(west_gpu_nodes(cluster)))
    assert nodes == 3, "the simulated Nautilus has three GPU nodes in us-west"
    p = Project(cluster, tmp_path / "mn", namespace).write(MULTINODE.format(ns=namespace, nodes=nodes,
                                                                            toleration=LARGE_GPU))
    run = p.apply()
    job = p.job("pretrain")
    name = job["metadata"]["name"]
    assert f"created   service/{name}" in run.stdout
    pods = cluster._poll(lambda: (lambda ps: ps if len(ps) == nodes else None)(
        cluster.running_pods(namespace, f"job-name={name}")), 90, f"{nodes} ranks running")
    placed = {pod["spec"]["nodeName"] for pod in pods}
    assert len(placed) == nodes and placed <= set(west_gpu_nodes(cluster))  # distinct nodes, one region
    for pod in pods:
        rank = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
        assert env["PET_NNODES"]["value"] == str(nodes) and env["WORLD_SIZE"]["value"] == str(nodes)
        assert env["PET_MASTER_ADDR"]["value"] == f"{name}-0.{name}" and pod["spec"]["subdomain"] == name
        assert pod["spec"]["hostname"] == f"{name}-{rank}"
    rank0 = next(pod for pod in pods if pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "0")
    cluster.finish_pod(rank0["metadata"]["name"], namespace)
    cluster._poll(lambda: cluster._condition(p.job("pretrain"), "Complete"), 60, "the run Complete after rank 0")
    assert p.apply().returncode == 0 and p.job("pretrain")["metadata"]["uid"] == job["metadata"]["uid"]


def test_adaptive_search_driver_deployed_by_apply_runs_its_trials(cluster, namespace, tmp_path):
    p = Project(cluster, tmp_path / "hp", namespace).write(SEARCH.format(ns=namespace))
    run = p.apply()
    driver = p.job("search")
    assert driver and "created   role/hp-search-search" in run.stdout, run.stdout
    # KWOK runs no container: the driver runs here, as its pod would, with its own account's token.
    cm = next(o for o in cluster.get_json("configmaps", "-n", namespace)["items"]
              if o["metadata"]["name"].startswith("hp-search-search-"))
    definition = tmp_path / "definition"
    definition.mkdir()
    for key, text in cm["data"].items():
        (definition / key).write_text(text)
    account = driver["spec"]["template"]["spec"]["serviceAccountName"]
    (tmp_path / "token").write_text(cluster.kubectl("create", "token", account, "-n", namespace).stdout.strip())
    server = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]
    proc = subprocess.Popen([sys.executable, ns.__file__, "--definition", str(definition), "--namespace", namespace,
                             "--owner-job", driver["metadata"]["name"], "--interval", "0.3", "--server",
                             server["server"], "--token-file", str(tmp_path / "token"), "--ca-file",
                             server["certificate-authority"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        done = 0
        while done < 4:
            trials = cluster.get_json("jobs", "-n", namespace, "-l", "nautiform.io/trial")["items"]
            active = [j for j in trials if not cluster._condition(j, "Complete") and not cluster._condition(j, "Failed")]
            assert len(active) <= 2  # bounded parallelism, on live objects
            for pod in cluster.running_pods(namespace, "nautiform.io/trial"):
                env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
                x = float(env["X"])  # the trial's parameter, as the driver set it
                cluster.finish_pod(pod["metadata"]["name"], namespace, termination=json.dumps({"loss": x * x}))
                done += 1
            if proc.poll() is not None:
                break
            cluster._poll(lambda: True, 1, "a tick")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # closes its pipes
    trials = cluster.get_json("jobs", "-n", namespace, "-l", "nautiform.io/trial")["items"]
    assert len(trials) == 4 and all(j["metadata"]["ownerReferences"][0]["name"] == driver["metadata"]["name"]
                                    for j in trials)
    record = json.loads(cluster.get_json("configmap", driver["metadata"]["annotations"]["nautiform.io/study"], "-n",
                                         namespace)["data"]["study.json"])
    assert record["counts"]["complete"] == 4 and record["state"] == "done"
    status = p.run("status", "search")
    assert status.returncode == 0 and "study search-" in status.stdout and "4/4 trials (4 complete" in status.stdout, \
        status.stdout + status.stderr


@pytest.fixture(autouse=True)
def _kubeconfig_env(monkeypatch, cluster):
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))


def test_gpus_says_what_a_multinode_run_needs_and_whether_it_fits(cluster, namespace, tmp_path):
    nodes = len(west_gpu_nodes(cluster))
    p = Project(cluster, tmp_path / "g", namespace).write(MULTINODE.format(ns=namespace, nodes=nodes + 1,
                                                                           toleration=LARGE_GPU))
    run = p.run("gpus", "--format", "json", "--no-dry-run")
    assert run.returncode == 0, run.stderr
    row = next(w for w in json.loads(run.stdout)["workloads"] if w["name"] == "pretrain")
    assert row["verdict"] == "never fits" and row["needs"].startswith(f"needs {nodes + 1} nodes × 1 GPUs in one region")
    p.write(MULTINODE.format(ns=namespace, nodes=2, toleration=LARGE_GPU))
    row = next(w for w in json.loads(p.run("gpus", "--format", "json", "--no-dry-run").stdout)["workloads"]
               if w["name"] == "pretrain")
    assert row["verdict"] in ("fits now", "must queue") and "in one region" in row["needs"], row
