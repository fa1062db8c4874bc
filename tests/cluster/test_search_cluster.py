"""The adaptive-search driver against the local control plane: the real driver (a local process)
with real Optuna, authenticated as a ServiceAccount bound to exactly search.rbac()'s Role, creating
trial Jobs that the test ends as the kubelet would - with a termination message carrying the
metric, a preemption (DisruptionTarget), a failure - and a driver killed and restarted mid-study."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import yaml

from nautiform import search
from nautiform.runtime import nautiform_search as ns

PARALLEL, TRIALS = 2, 7


def branin(x: float, y: float) -> float:
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def trial_template(namespace: str) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "hp-trial", "labels": {"nautiform.io/project": "hp", "nautiform.io/workload": "search"}},
            "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 3600,
                     "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [
                         {"type": "DisruptionTarget", "status": "True"}]}]},
                     "template": {"spec": {"restartPolicy": "Never", "containers": [
                         {"name": "main", "image": "busybox", "command": ["python", "train.py", "--x={x}", "--y={y}"]}]}}}}


def finish(cluster, namespace, pod, exit_code=0, message=None, preempted=False):
    """End a trial pod as the kubelet does, with the termination message the trial wrote."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    term = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error", "startedAt": now, "finishedAt": now}
    if message is not None:
        term["message"] = message
    conditions = [{"type": "Ready", "status": "False", "lastTransitionTime": now}]
    if preempted:
        conditions.append({"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                           "lastTransitionTime": now})
    cluster.set_pod_status(pod["metadata"]["name"], namespace, {
        "phase": "Succeeded" if exit_code == 0 else "Failed", "conditions": conditions,
        "containerStatuses": [{"name": "main", "image": "busybox", "ready": False, "restartCount": 0,
                               "state": {"terminated": term}}]})


def driver(cluster, namespace, token_file, definition):
    server = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]
    return subprocess.Popen([sys.executable, ns.__file__, "--definition", str(definition), "--namespace", namespace,
                             "--owner-job", "hp-driver", "--interval", "0.3", "--server", server["server"],
                             "--token-file", str(token_file), "--ca-file", server["certificate-authority"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def record(cluster, namespace):
    proc = cluster.kubectl("get", "configmap", "hp-study", "-n", namespace, "-o", "json", check=False)
    return ns.decode(json.loads(proc.stdout)["data"]) if proc.returncode == 0 else ({}, [])


def test_driver_runs_a_study_of_trial_jobs(cluster, namespace, tmp_path):
    for obj in search.rbac("hp-search", namespace, "hp-study", {"nautiform.io/project": "hp"}):
        cluster.kubectl("create", "-f", "-", input=json.dumps(obj))
    # the driver's own Job (suspended: no pod), which owns the trials
    cluster.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hp-driver", "namespace": namespace},
        "spec": {"suspend": True, "template": {"spec": {"restartPolicy": "Never",
                                                         "containers": [{"name": "d", "image": "python:3.12"}]}}}}))
    token = tmp_path / "token"
    token.write_text(cluster.kubectl("create", "token", "hp-search", "-n", namespace).stdout.strip())
    definition = tmp_path / "def"
    definition.mkdir()
    study = search.definition(name="hp-1a2b", record="hp-study", metric="loss", trials=TRIALS, parallel=PARALLEL,
                              retries=1, seed=3, params={"x": {"uniform": [-5, 10]}, "y": {"uniform": [0, 15]}})
    for key, text in search.configmap_data(study, trial_template(namespace)).items():
        (definition / key).write_text(text)

    proc = driver(cluster, namespace, token, definition)
    restarted, handled, most_active, log = False, set(), 0, ""
    deadline = time.monotonic() + 180
    while proc.poll() is None or not restarted:
        assert time.monotonic() < deadline, log + proc.stderr.read() if proc.poll() is not None else log
        jobs = cluster.get_json("jobs", "-n", namespace, "-l", "nautiform.io/study=hp-1a2b")["items"]
        active = [j for j in jobs if not any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
                                               for c in j["status"].get("conditions", []))]
        most_active = max(most_active, len(active))
        assert len(active) <= PARALLEL, [j["metadata"]["name"] for j in active]
        for job in jobs:
            meta = job["metadata"]
            assert meta["ownerReferences"][0]["name"] == "hp-driver"
            n, attempt = int(meta["labels"]["nautiform.io/trial"]), int(meta["labels"]["nautiform.io/attempt"])
            params = json.loads(meta["annotations"]["nautiform.io/params"])
            assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [
                "python", "train.py", f"--x={params['x']}", f"--y={params['y']}"]
            for pod in cluster.running_pods(namespace, f"batch.kubernetes.io/job-name={meta['name']}"):
                if pod["metadata"]["name"] in handled:
                    continue
                handled.add(pod["metadata"]["name"])
                if n == 1 and attempt == 1 and not any("preempted" in h for h in handled):
                    handled.add("preempted")
                    finish(cluster, namespace, pod, 137, preempted=True)  # the Job makes a new pod
                elif n == 2 and attempt == 1:
                    finish(cluster, namespace, pod, 1)                    # the Job fails; the driver retries
                else:
                    finish(cluster, namespace, pod, 0, json.dumps({"loss": branin(params["x"], params["y"])}))
        header, rows = record(cluster, namespace)
        if not restarted and header.get("counts", {}).get("complete", 0) >= 3:
            proc.kill()  # a preempted driver: no goodbye
            log = proc.communicate()[1]
            proc = driver(cluster, namespace, token, definition)
            restarted = True
        time.sleep(0.3)
    out, err = proc.communicate()
    assert proc.returncode == 0, log + err
    assert f"study hp-1a2b: " in err and "trials finished" in err

    header, rows = record(cluster, namespace)
    assert header["state"] == "done" and most_active == PARALLEL
    assert [r["n"] for r in rows] == list(range(TRIALS)) and all(r["state"] == "complete" for r in rows)
    assert (rows[1]["attempts"], rows[1]["preempted"]) == (1, 1)        # preempted: retried by its Job
    assert (rows[2]["attempts"], rows[2]["preempted"]) == (2, 0)        # failed: retried by the driver
    for r in rows:
        assert r["value"] == branin(r["params"]["x"], r["params"]["y"])
    retry = {j["metadata"]["name"]: json.loads(j["metadata"]["annotations"]["nautiform.io/params"])
             for j in cluster.get_json("jobs", "-n", namespace, "-l", "nautiform.io/trial=2")["items"]}
    assert sorted(retry) == ["hp-trial-2-1", "hp-trial-2-2"] and retry["hp-trial-2-1"] == retry["hp-trial-2-2"]
    best = min(rows, key=lambda r: r["value"])
    assert header["best"] == {"trial": best["n"], "value": best["value"], "params": best["params"]}
