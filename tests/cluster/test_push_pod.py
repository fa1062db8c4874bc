"""`nautiform data push` to a volume, on the local control plane (issue 18).

The shared KWOK runs no process for `kubectl exec` (its nodes publish no exec port), so on them the tests see the
transfer pod accepted, scheduled, Running, the exec refused, the command's one error line, and the pod
deleted. For the whole path, a test starts a SECOND kwok (same binary) that simulates one node of
its own and answers exec with KWOK's `ClusterExec` `local` target: the command the laptop sends runs
as a process on this machine, with the exec's stdin, in a folder that stands in for the volume (a
hostPath PV bound only to that node, so the real scheduler places the transfer pod there). So the
real kube-apiserver, scheduler, PV binder, kubectl exec -i streams and KWOK's kubelet-side exec
server carry the data; only the container is not one (the process runs on the host, with the host's
python3, and the receiver is pointed at the stand-in folder by NAUTIFORM_RECEIVE_ROOT instead of
checking that the volume is mounted at /mnt/VOLUME).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_harness import REPO
from kwoknode import kwok_node

PROJECT = """\
version: 1
project: {{name: toy, namespace: {ns}, profile: generic}}
image: {{ref: "python:3.12"}}
volumes:
  data: {{size: 1Gi, storage_class: {sc}, access_mode: {mode}}}
datasets:
  scans: {{source: {{push: {{}}}}, volume: data}}
workloads:
  train: {{kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {{data: /data}}{uses}}}
"""


def project(tmp_path: Path, ns: str, sc: str = "rook-cephfs", mode: str = "ReadWriteMany") -> Path:
    # On a ReadWriteOnce volume a workload must not wait for the dataset (lint: dataset-rwo, a deadlock
    # across nodes); the push itself is what these tests drive.
    uses = ", datasets: [scans]" if mode == "ReadWriteMany" else ""
    (tmp_path / "project.yaml").write_text(PROJECT.format(ns=ns, sc=sc, mode=mode, uses=uses))
    local = tmp_path / "local"
    for i in range(30):
        (local / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (local / f"d{i % 3}" / f"{i:02d}.bin").write_bytes(os.urandom(2000 + i))
    (local / "big.bin").write_bytes(os.urandom(6 << 20))
    proc = subprocess.run([sys.executable, "-m", "nautiform", "compile"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def push(cluster, cwd: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "NAUTIFORM_KUBECTL": cluster.kubectl_bin}
    return subprocess.run([sys.executable, "-m", "nautiform", "data", "push", "local", "scans", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def transfer_pods(cluster, ns: str) -> list:
    return cluster.get_json("pods", "-n", ns, "-l", "nautiform.io/push=toy")["items"]


def test_on_the_shared_kwok_the_pod_runs_the_exec_is_refused_and_the_pod_is_deleted(cluster, namespace, tmp_path):
    cwd = project(tmp_path, namespace)
    cluster.kubectl("apply", "-f", str(cwd / "generated" / "pvc-data.yaml"))
    # a leftover of an earlier push (its laptop died) is cleaned up by the next push
    leftover = push(cluster, cwd, "--dry-run").stdout
    pod = json.loads(leftover[leftover.index("{"):leftover.rindex("}") + 1])
    pod["metadata"]["name"] += "-old"
    cluster.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(pod))  # the API server's checks
    cluster.kubectl("create", "-f", "-", input=json.dumps(pod))
    res = push(cluster, cwd)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.splitlines()[0].startswith("error: prepare in the transfer pod failed (exit 1): ")
    # the shared KWOK has no exec server on its nodes' port: the API server says so
    assert "Internal error occurred" in res.stderr and "Traceback" not in res.stderr
    name = res.stdout.split("transfer pod ")[1].split()[0]
    events = cluster.get_json("events", "-n", namespace, "--field-selector", f"involvedObject.name={name}")["items"]
    assert any(e["reason"] == "Scheduled" for e in events)
    cluster._poll(lambda: not transfer_pods(cluster, namespace), 60, "transfer pods deleted")


def test_a_missing_volume_is_one_clear_line(cluster, namespace, tmp_path):
    res = push(cluster, project(tmp_path, namespace))
    assert res.stderr == (f"error: PVC toy-data does not exist in namespace {namespace}\n"
                          "  hint: run `nautiform apply` first: it creates the volume\n")
    assert not transfer_pods(cluster, namespace)


@pytest.fixture
def exec_node(cluster, namespace, tmp_path):
    """A node served by a second kwok whose exec runs locally in `volume` (see the module docstring)."""
    name, volume = f"nf-exec-{namespace}", tmp_path / "volume"
    volume.mkdir()
    simulations = f"""
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {{name: {name}}}
spec:
  selector: {{matchNamespaces: [{namespace}]}}
  execs: [{{local: {{workDir: "{volume}", envs: [{{name: NAUTIFORM_RECEIVE_ROOT, value: "{volume}"}}]}}}}]
"""
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": name,
                   "hostPath": {"path": str(volume)}, "nodeAffinity": {"required": {"nodeSelectorTerms": [
                       {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                              "values": [name]}]}]}}}}
    with kwok_node(cluster, namespace, tmp_path, name, simulations, extra=(pv,)):
        yield name, volume


def test_push_through_kubectl_exec_into_the_volume(cluster, namespace, tmp_path, exec_node):
    node, volume = exec_node
    cwd = project(tmp_path, namespace, sc=node, mode="ReadWriteOnce")
    cluster.kubectl("apply", "-f", str(cwd / "generated" / "pvc-data.yaml"))
    cluster._poll(lambda: cluster.get_json("pvc", "toy-data", "-n", namespace)["status"].get("phase") == "Bound",
                  60, "the PVC bound to the exec node's PV")

    res = push(cluster, cwd, "--streams", "3")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "pushed 31 files, 6.1 MiB" in res.stdout and "over 3 streams" in res.stdout
    assert f"volume data (PVC toy-data) at datasets/scans, namespace {namespace} is complete" in res.stdout
    name = res.stdout.split("transfer pod ")[1].split()[0]
    assert any(e["reason"] == "Scheduled" and node in e["message"] for e in cluster.get_json(
        "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}")["items"])
    dest = volume / "datasets" / "scans"
    local = {p.relative_to(cwd / "local").as_posix(): p.read_bytes() for p in (cwd / "local").rglob("*") if p.is_file()}
    got = {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert json.loads(got.pop(".nautiform-manifest.json"))["state"] == "complete"
    assert json.loads(got.pop(".nautiform-data.json"))["source_type"] == "push"
    assert got == local
    cluster._poll(lambda: not transfer_pods(cluster, namespace), 60, "the transfer pod deleted")

    # what every workload's init container runs, with the dataset's spec as the compiler writes it there
    from nautiform.pipeline import compile_file

    spec = json.loads(compile_file(cwd / "project.yaml").project.datasets["scans"].spec)
    (tmp_path / "scans.json").write_text(json.dumps(spec))
    wait = subprocess.run([sys.executable, "-I", "-S", str(REPO / "compiler/nautiform/runtime/nautiform_data.py"),
                           "wait", str(tmp_path / "scans.json"), "--dest", str(dest), "--timeout", "5"],
                          capture_output=True, text=True)
    assert wait.returncode == 0, wait.stderr

    res = push(cluster, cwd)
    assert res.returncode == 0 and "nothing to send" in res.stdout, res.stdout + res.stderr
    (cwd / "local" / "d1" / "01.bin").write_bytes(b"changed")
    res = push(cluster, cwd)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "pushed 1 file, 7 B" in res.stdout and "30 unchanged" in res.stdout
    assert (dest / "d1" / "01.bin").read_bytes() == b"changed"
    cluster._poll(lambda: not transfer_pods(cluster, namespace), 60, "the transfer pod deleted")
