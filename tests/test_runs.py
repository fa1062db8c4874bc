"""runs.py on live objects the tests write by hand: a run that failed once and then succeeded, and a
sweep Job that runs only some points (`nautiform.io/points`, issue 13) reporting them by point."""
from __future__ import annotations

from nautiform import ledger as ledgers
from nautiform import podpoints, points
from nautiform import launcher
from nautiform.expand import expand
from nautiform.livestate import Live
from nautiform.model import SweepSpec
from nautiform.projectview import load_view
from nautiform.runs import summarize

PROJECT = """\
version: 1
project: {name: lab, namespace: ns, profile: generic}
image: {ref: "busybox:1.36"}
workloads:
  train:
    kind: job
    command: [python, train.py]
    memory: 1Gi
  search:
    kind: sweep
    command: [python, t.py, "{lr}"]
    sweep: {grid: {lr: [0.1, 0.01, 0.001, 0.0001]}}
"""


def _view(tmp_path):
    (tmp_path / "project.yaml").write_text(PROJECT)
    return load_view(tmp_path / "project.yaml")


def _job(name, workload, conditions=(), **status):
    return {"kind": "Job", "metadata": {"name": name, "uid": name, "creationTimestamp": "2026-01-01T00:00:00Z",
                                        "labels": {"nautiform.io/workload": workload}},
            "spec": {"template": {"metadata": {}, "spec": {}}},
            "status": {"conditions": [{"type": t, "status": "True"} for t in conditions], **status}}


def _pod(name, job, phase, terminated=None, index=None):
    state = {"terminated": terminated} if terminated else {"running": {}}
    meta = {"name": name, "creationTimestamp": "2026-01-01T00:00:01Z", "labels": {"nautiform.io/workload": job[1]},
            "ownerReferences": [{"kind": "Job", "uid": job[0]}], "annotations": {}}
    if index is not None:
        meta["annotations"][podpoints.INDEX] = str(index)
    res = {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}
    return {"kind": "Pod", "metadata": meta, "spec": {"nodeName": "n1", "containers": [
        {"name": "main", "resources": res}]}, "status": {"phase": phase, "containerStatuses": [
            {"name": "main", "restartCount": 0, "state": state}]}}


def _live(jobs, pods, configmaps=None):
    return Live(jobs, pods, configmaps or {}, {}, {}, ledgers.parse(None, "lab", "ns", "r", "project.yaml"), "r")


def test_a_run_that_succeeded_after_a_failure(tmp_path):
    job = _job("lab-train-1", "train", ["Complete"], succeeded=1, failed=1)
    pods = [_pod("lab-train-1-a", ("lab-train-1", "train"), "Failed", {"exitCode": 137, "reason": "OOMKilled"}),
            _pod("lab-train-1-b", ("lab-train-1", "train"), "Succeeded", {"exitCode": 0, "reason": "Completed"})]
    doc = summarize(_view(tmp_path), _live([job], pods), now=1.8e9, only="train")
    (w,) = doc["workloads"]
    assert (w["state"], w["summary"]) == ("succeeded", "succeeded (after 1 failed: OOMKilled)")
    assert [(p["code"], p["where"], p["pods"]) for p in w["problems"]] == [
        ("oom-killed", "project.yaml:8", ["lab-train-1-a"])]


def test_a_sweep_job_of_remaining_points_reports_by_point(tmp_path):
    sweep = expand(SweepSpec.from_data({"grid": {"lr": [0.1, 0.01, 0.001, 0.0001]}}))
    data = {**launcher.data(sweep, ("python", "t.py", "{lr}")), "grid.lr.key": "lr=0.1\nlr=0.01\nlr=0.001\nlr=0.0001\n"}
    cm = {"metadata": {"name": "lab-search-sweep-1"}, "data": data}
    job = _job("lab-search-2", "search", completedIndexes="0")  # index 0 runs point 1: point 0 was done before
    job["metadata"]["annotations"] = {points.SWEEP: "lab-search-sweep-1", points.IDENTITY: "inputs-1"}
    job["spec"] = {"completions": 3, "template": {
        "metadata": {"annotations": {points.POINTS: "1-3"}},
        "spec": {"volumes": [{"name": "sweep", "configMap": {"name": "lab-search-sweep-1"}}]}}}
    pods = [_pod("lab-search-2-1-x", ("lab-search-2", "search"), "Running", index=1)]
    live = _live([job], pods, {"lab-search-sweep-1": cm})
    first = summarize(_view(tmp_path), live, now=1.8e9, only="search")["workloads"][0]
    assert first["points"][0] == {"point": 0, "state": "not run", "params": {"lr": "0.1"}}  # the ledger knows nothing
    live.ledger.data["sweeps"] = {"search": {"done": points.pack({points.run_id("inputs-1", "lr=0.1")})}}
    doc = summarize(_view(tmp_path), live, now=1.8e9, only="search")
    (w,) = doc["workloads"]
    assert [(p["point"], p["state"], p["params"]) for p in w["points"]] == [
        (0, "done earlier", {"lr": "0.1"}), (1, "succeeded", {"lr": "0.01"}), (2, "running", {"lr": "0.001"}),
        (3, "pending", {"lr": "0.0001"})]
    assert w["pods"][0]["point"] == 2 and w["pods"][0]["params"] == {"lr": "0.001"}
    assert w["summary"] == "2/4 done, 1 running, 1 pending"
