"""Bad input to the day-two commands (issue 15): one clear `error:` line (and a hint), exit 1, no
traceback — an unknown workload, a missing or broken project.yaml, no cluster, no kubectl."""
from __future__ import annotations

import pytest

from nf_testlib import nautiform

PROJECT = """\
version: 1
project: {name: lab, namespace: lab-ns, profile: generic}
image: {ref: "busybox:1.36"}
workloads:
  train: {kind: job, command: [python, train.py]}
  sweep: {kind: sweep, command: [python, t.py, "{lr}"], sweep: {grid: {lr: [0.1, 0.2]}}}
  dev: {kind: interactive}
"""
UNREACHABLE = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: x}}]
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "project.yaml").write_text(PROJECT)
    (tmp_path / "kubeconfig").write_text(UNREACHABLE)
    return tmp_path


@pytest.mark.parametrize("args", [("status", "trian"), ("logs", "trian"), ("exec", "trian"),
                                  ("port-forward", "trian", "8888"), ("stop", "trian")])
def test_unknown_workload_says_did_you_mean(repo, args):
    run = nautiform(*args, cwd=repo, env={"KUBECONFIG": str(repo / "kubeconfig")})
    assert (run.code, run.out) == (1, "")
    assert run.err == ("error: no workload 'trian' in project.yaml\n"
                       "  hint: did you mean 'train'? workloads: train, sweep, dev\n")


@pytest.mark.parametrize("args", [("status",), ("status", "train", "--format", "json"), ("logs", "train"),
                                  ("exec", "dev"), ("stop", "train"), ("gpus",)])
def test_no_cluster_is_one_line(repo, args):
    run = nautiform(*args, cwd=repo, env={"KUBECONFIG": str(repo / "kubeconfig")})
    assert (run.code, run.out) == (1, "")
    assert run.err == ("error: cannot reach the cluster: The connection to the server 127.0.0.1:1 was refused - did "
                       "you specify the right host or port?\n  hint: point KUBECONFIG at your kubeconfig (NRP: "
                       "https://nrp.ai/config) and check `kubectl get pods`\n")


def test_no_kubectl_is_one_line(repo):
    run = nautiform("status", cwd=repo, env={"NAUTIFORM_KUBECTL": str(repo / "nope")})
    assert (run.code, run.out) == (1, "")
    assert run.err == f"error: kubectl not found at {repo / 'nope'} (set by NAUTIFORM_KUBECTL); fix or unset that variable\n"


def test_missing_or_broken_project_yaml(tmp_path):
    run = nautiform("status", cwd=tmp_path)
    assert (run.code, run.err) == (1, "error: no project.yaml here\n  hint: run in your project's checkout, or pass "
                                      "--project PATH\n")
    (tmp_path / "project.yaml").write_text(PROJECT.replace("kind: job", "kind: jbo"))
    run = nautiform("stop", "train", cwd=tmp_path)
    assert (run.code, run.err) == (1, "error: project.yaml has 1 error, so its workloads are unknown\n"
                                      "  hint: `nautiform compile project.yaml` shows them\n")
