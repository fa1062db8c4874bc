"""A run starts again only when its own inputs change, and no GPU waits (issue 13), walked on the live
control plane with pods kept Running. Every step asserts on live objects and uids."""
from __future__ import annotations

import subprocess

import pytest

from lifecycle import Project

SHA = "9f" * 32
PROJECT = """\
version: 1
project: {{name: idt, namespace: {ns}, profile: generic}}
image: {{ref: "python:3.12"}}
volumes:
  data: {{size: 1Gi, storage_class: rook-cephfs, access_mode: ReadWriteMany}}
datasets:
  corpus: {{source: {{http: {{url: "https://example.org/corpus.tar", sha256: "{sha}"}}}}, unpack: tar, volume: data}}
{extra}
defaults:
  cpu: 100m
  memory: 64Mi
  mounts: {{data: /data}}
workloads:
  train:
    kind: job
    command: [python, train.py{args}]
    datasets: [corpus]
    gpu: {{count: 1}}
    deadline: 1d
  sweep:
    kind: sweep
    command: [python, t.py, --lr, "{{lr}}"]
    sweep: {{grid: {{lr: [{lrs}]}}}}
    parallelism: 4
"""
UNUSED = ("  unused: {source: {http: {url: \"https://example.org/other.zip\", sha256: \"" + "8e" * 32 +
          "\"}}, unpack: zip, volume: data}")


def text(ns: str, extra: str = "", args: str = "", lrs: str = "0.1, 0.01") -> str:
    return PROJECT.format(ns=ns, sha=SHA, extra=extra, args=args, lrs=lrs)


def git(path, *args):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, env=env)


def gpu_pods(p: Project, workload: str) -> list[dict]:
    return [pod for pod in p.cluster.pods(p.namespace, f"nautiform.io/workload={workload}")
            if pod["spec"]["containers"][0]["resources"].get("limits", {}).get("nvidia.com/gpu")]


@pytest.fixture
def proj(cluster, namespace, tmp_path):
    p = Project(cluster, tmp_path / "repo", namespace, repo="gitlab.example/lab/idt").write(text(namespace))
    git(p.path, "init", "-q", "-b", "main")
    return p


def test_no_gpu_waits_for_data_and_the_gate_releases_the_run(proj):
    run = proj.apply()
    assert "waits suspended (no pod, no GPU) for idt-data-corpus-" in run.stdout
    proj.cluster._poll(lambda: proj.cluster.running_pods(proj.namespace, "nautiform.io/workload=dataset-corpus"),
                       60, "the data Job running")
    train = proj.job("train")
    assert train["spec"]["suspend"] is True
    assert gpu_pods(proj, "train") == []  # while the data Job runs, the dependant holds no GPU
    assert proj.job("sweep")["spec"].get("suspend") is not True  # the sweep reads no dataset: it runs
    assert proj.cluster.run_gate(proj.namespace, "idt") == 3  # still waiting: nothing released
    assert proj.job("train")["spec"]["suspend"] is True
    proj.finish("dataset-corpus")
    assert proj.cluster.run_gate(proj.namespace, "idt") == 3  # released; train now runs
    proj.cluster._poll(lambda: gpu_pods(proj, "train"), 60, "train's GPU pod")
    assert proj.job("train")["spec"]["suspend"] is False


def test_reruns_follow_only_the_runs_own_inputs(proj, monkeypatch):
    proj.apply()
    proj.cluster.run_jobs_to_completion(proj.namespace, timeout=180)
    git(proj.path, "add", "-A")
    git(proj.path, "commit", "-qm", "base")
    jobs = lambda: {j["metadata"]["labels"]["nautiform.io/workload"]: j["metadata"]["uid"]  # noqa: E731
                    for j in proj.cluster.get_json("jobs", "-n", proj.namespace)["items"]}
    first = jobs()

    # An unchanged apply and an unused dataset: no run replaced or repeated.
    proj.write(text(proj.namespace, extra=UNUSED))
    run = proj.apply()
    assert {k: v for k, v in jobs().items() if k != "dataset-unused"} == first, run.stdout
    assert "created   job/idt-data-unused-" in run.stdout

    # A new nautiform (the runtime's bytes change): nothing replaced, nothing run again.
    import nautiform.pipeline as pipeline
    from nautiform.commands.compile import compile_project

    real = pipeline.runtime_script()
    monkeypatch.setattr(pipeline, "runtime_script", lambda: {k: v + "\n# a newer nautiform\n" for k, v in real.items()})
    assert compile_project(proj.path / "project.yaml", proj.path / "generated") == 0
    monkeypatch.undo()
    run = proj.apply()
    assert "created   configmap/idt-nautiform-runtime-" in run.stdout
    assert jobs() == {**first, "dataset-unused": jobs()["dataset-unused"]}, run.stdout
    assert "pruned    configmap/idt-nautiform-runtime-" not in run.stdout  # live Jobs still mount the old one

    # Two more sweep values: only the new points do work.
    proj.write(text(proj.namespace, extra=UNUSED, lrs="0.1, 0.05, 0.01, 0.001"))
    plan = proj.run("plan", "--base", "HEAD", "--cluster")
    assert "sweep: 2 new point(s), 2 unchanged (not run again)" in plan.stdout, plan.stdout
    run = proj.apply()
    assert "sweep sweep: 2 new point(s); 2 already done" in run.stdout, run.stdout
    sweeps = proj.cluster.get_json("jobs", "-n", proj.namespace, "-l", "nautiform.io/workload=sweep")["items"]
    new = [j for j in sweeps if j["metadata"]["uid"] != first["sweep"]]
    assert len(sweeps) == 2 and len(new) == 1 and new[0]["spec"]["completions"] == 2
    assert new[0]["spec"]["template"]["metadata"]["annotations"]["nautiform.io/points"] == "1,3"
    proj.cluster._poll(lambda: len(proj.cluster.pods(proj.namespace, f"job-name={new[0]['metadata']['name']}")) == 2,
                       60, "two pods for the two new points")
    git(proj.path, "add", "-A")
    git(proj.path, "commit", "-qm", "more points")

    # A changed command: that Job alone runs again, and the plan says why.
    proj.write(text(proj.namespace, extra=UNUSED, lrs="0.1, 0.05, 0.01, 0.001", args=", --epochs, '3'"))
    plan = proj.run("plan", "--base", "HEAD")
    assert "command changed (runs again" in plan.stdout, plan.stdout
    before = {j["metadata"]["name"]: j["metadata"]["uid"] for j in proj.cluster.get_json("jobs", "-n",
                                                                                         proj.namespace)["items"]}
    run = proj.apply()
    after = {j["metadata"]["name"]: j["metadata"]["uid"] for j in proj.cluster.get_json("jobs", "-n",
                                                                                        proj.namespace)["items"]}
    created = set(after) - set(before)
    assert len(created) == 1 and next(iter(created)).startswith("idt-train-"), run.stdout
    assert {n: u for n, u in after.items() if n in before} == {n: before[n] for n in after if n in before}
