"""`nautiform status` on the local control plane (issue 15): each state is produced for real — the
scheduler refuses, the Job controller fails Jobs at their deadline or retry limit — or, for what only a
kubelet could do (OOMKilled, Evicted, image pulls, crash loops), written into pod status through the
API as the kubelet would. Each test asserts what status says in JSON and in text."""
from __future__ import annotations

import textwrap
import time

import pytest

from daytwo import HEAD, block, line_of, pod_of, project, status, wait_problem, with_volume, workload


def _text(p, *args) -> str:
    run = p.run("status", *args)
    assert run.returncode == 0, run.stderr
    assert all(len(line) <= 80 for line in run.stdout.splitlines()), run.stdout
    assert "\033[" not in run.stdout  # not a terminal: no colour
    return run.stdout


def test_pending_that_never_fits_names_the_gpu_count(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        big:
          kind: job
          command: [sh, -c, "echo big"]
          gpu: {count: 5, products: [NVIDIA-A10]}
          region: [us-west]
        """)
    w, problem = wait_problem(p, "big", "unschedulable")
    assert w["state"] == "pending" and w["summary"] == "pending: never fits"
    assert problem["detail"] == ("needs 5 × nvidia.com/gpu of NVIDIA-A10 in us-west; 2 nodes match, but the largest "
                                 "has 4 nvidia.com/gpu (it asks for 5)")
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'count: 5')}",
                                                      "workloads.big.gpu.count")
    assert "Insufficient nvidia.com/gpu" in problem["scheduler"]  # the scheduler's own words are kept for scripts
    assert block(_text(p), "big") == [
        f"  big: never fits (pod {problem['pods'][0]})",
        "    needs 5 × nvidia.com/gpu of NVIDIA-A10 in us-west; 2 nodes match, but the",
        "      largest has 4 nvidia.com/gpu (it asks for 5)",
        f"    project.yaml:{line_of(p, 'count: 5')} workloads.big.gpu.count: ask for at most 4, or allow more",
        "      products or regions"]


def _evict(cluster, namespace, pod):
    cluster.finish_pod(pod, namespace, exit_code=137, reason="Evicted",
                       message="Pod ephemeral local storage usage exceeds the total limit of containers 10Gi. ")


def _crash_loop(cluster, namespace, pod):
    cluster.set_pod_status(pod, namespace, {"containerStatuses": [{
        "name": "main", "image": "busybox:1.36", "imageID": "", "ready": False, "restartCount": 5, "started": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "startedAt": "2026-01-01T00:00:00Z",
                                     "finishedAt": "2026-01-01T00:00:01Z"}}}]})


def _at_deadline(cluster, namespace, pod):
    cluster.finish_pod(pod, namespace, exit_code=137, reason="DeadlineExceeded",
                       message="Pod was active on the node longer than the specified deadline")


def _preempt(cluster, namespace, pod):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cluster.set_pod_status(pod, namespace, {"phase": "Failed", "conditions": [
        {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler", "lastTransitionTime": now,
         "message": "Preempted in order to admit critical pod"}],
        "containerStatuses": [{"name": "main", "image": "busybox:1.36", "imageID": "", "ready": False,
                               "restartCount": 0, "started": False, "state": {"terminated": {
                                   "exitCode": 137, "reason": "Error", "startedAt": now, "finishedAt": now}}}]})


# workload YAML, how the test drives it (None: the cluster's own controllers do), the problem's code, title,
# detail, and the project.yaml line (a text on it) and setting it names.
STUCK = {
    "product-absent-from-region": (
        "kind: job\ncommand: [sh, -c, \"python t.py\"]\ngpu: {count: 1, products: [NVIDIA-A10]}\nregion: [us-east]",
        None, "unschedulable", "never fits", "needs 1 × nvidia.com/gpu of NVIDIA-A10 in us-east; there is none in "
        "us-east: NVIDIA-A10 is in us-west", "region: [us-east]", "region"),
    "evicted-ephemeral-storage": (
        "kind: job\ncommand: [sh, -c, \"python t.py\"]\nephemeral_storage: 10Gi", _evict, "evicted",
        "evicted: disk limit", "evicted: used more local disk than its ephemeral-storage limit 10Gi (Pod ephemeral "
        "local storage usage exceeds the total limit of containers 10Gi.)", "ephemeral_storage: 10Gi",
        "ephemeral_storage"),
    "crash-loop": (
        "kind: interactive\ncommand: [python, serve.py]", _crash_loop, "crash-loop", "crash loop",
        "container main keeps exiting (code 2, restarted 5 times)", "command: [python", "command"),
    "job-deadline": (  # the Job controller's own DeadlineExceeded
        "kind: job\ncommand: [sh, -c, \"python t.py\"]\ndeadline: 3s", None, "deadline-exceeded",
        "deadline exceeded", "stopped at its deadline (3s, activeDeadlineSeconds)", "deadline: 3s", "deadline"),
    "interactive-deadline": (
        "kind: interactive\ndeadline: 2h", _at_deadline, "deadline-exceeded", "deadline exceeded",
        "stopped at its deadline (2h, activeDeadlineSeconds)", "deadline: 2h", "deadline"),
    "preempted": (
        "kind: job\ncommand: [sh, -c, \"python t.py\"]\npriority_class: opportunistic", _preempt, "preempted",
        "preempted", "preempted by a higher-priority pod: Preempted in order to admit critical pod",
        "priority_class: opportunistic", "priority_class"),
}


@pytest.mark.parametrize("case", STUCK)
def test_each_stuck_state_is_explained(cluster, namespace, tmp_path, case):
    yaml, drive, code, title, detail, needle, setting = STUCK[case]
    p = project(cluster, tmp_path, namespace, "w:\n" + textwrap.indent(yaml, "  ") + "\n")
    if drive:
        drive(cluster, namespace, pod_of(cluster, namespace, "w"))
    w, problem = wait_problem(p, "w", code)
    where = f"project.yaml:{line_of(p, needle)}"
    assert (problem["title"], problem["detail"], problem["where"], problem["setting"]) == (
        title, detail, where, f"workloads.w.{setting}")
    subject = f"pod {problem['pods'][0]}" if problem["pods"] else f"job {problem['jobs'][0]}"
    lines = block(_text(p), "w")
    assert lines[0] == f"  w: {title} ({subject})"
    assert " ".join(x.strip() for x in lines[1:]).startswith(f"{detail} {where} workloads.w.{setting}: {problem['hint']}")


def test_unbound_volume_points_at_the_volume(cluster, namespace, tmp_path):
    head = with_volume("huge: {{size: 5Ti, storage_class: rook-cephfs, access_mode: ReadWriteMany}}")
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "echo train"]
          mounts: {huge: /data}
        """, head=head)
    _, problem = wait_problem(p, "train", "pvc")
    assert problem["title"] == "volume not bound"
    assert problem["detail"] == ("its volume claim lab-huge is Pending (5Ti, class rook-cephfs): no volume was "
                                 "provisioned for it")
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'huge: {size')}", "volumes.huge")


def test_oomkilled_is_explained_and_outlives_its_job_and_events(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
          memory: 1Gi
          backoff_limit: 0
        """)
    pod = pod_of(cluster, namespace, "train")
    cluster.finish_pod(pod, namespace, exit_code=137, reason="OOMKilled")
    cluster._poll(lambda: cluster._condition(p.job("train") or {}, "Failed"), 60, "train Failed")
    w, problem = wait_problem(p, "train", "oom-killed")
    memory = f"project.yaml:{line_of(p, 'memory: 1Gi')}"
    assert w["state"] == "failed" and w["summary"] == "failed: OOMKilled"
    assert problem["detail"] == "container main reached its memory limit 1Gi and was killed"
    assert (problem["where"], problem["setting"]) == (memory, "workloads.train.memory")
    assert problem["hint"] == "raise it, e.g. to 2Gi (shared memory /dev/shm counts too)"
    assert [x["code"] for x in w["problems"]] == ["oom-killed", "backoff-limit"]
    text = _text(p)
    assert block(text, "train")[:3] == [f"  train: OOMKilled (pod {pod})",
                                       "    container main reached its memory limit 1Gi and was killed",
                                       f"    {memory} workloads.train.memory: raise it, e.g. to 2Gi (shared memory"]
    job = p.job("train")["metadata"]["name"]
    entry = p.ledger()["runs"][job]
    assert entry["state"] == "failed" and entry["last_reason"]["code"] == "oom-killed"
    assert entry["last_reason"]["where"] == memory

    # What the Job's TTL and the event TTL do: the Job, its pods and every event are gone.
    cluster.kubectl("delete", "job", job, "-n", namespace, "--cascade=foreground", "--wait=true")
    cluster.kubectl("delete", "events", "--all", "-n", namespace)
    w = workload(status(p), "train")
    assert w["state"] == "failed" and w["summary"].startswith("failed: OOMKilled, ") \
        and w["summary"].endswith(" ago; Job removed")
    (kept,) = w["problems"]
    assert kept["recorded"] and kept["code"] == "oom-killed" and kept["where"] == memory
    assert kept["detail"] == "container main reached its memory limit 1Gi and was killed"
    text = _text(p)
    assert "  train: OOMKilled (job " + job + ")" in text and "the pods and their events are gone" in text


def test_image_not_in_the_registry_asks_whether_the_build_ran(cluster, namespace, tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "Dockerfile").write_text("FROM busybox:1.36\n")
    head = HEAD.replace('image: {{ref: "busybox:1.36"}}', "image:\n  build: {{repository: registry.example/lab/img}}")
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
        """, head=head)
    pod = pod_of(cluster, namespace, "train")
    image = cluster.get_json("pod", pod, "-n", namespace)["spec"]["containers"][0]["image"]
    cluster.set_pod_status(pod, namespace, {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": "main", "image": image, "imageID": "", "ready": False, "restartCount": 0,
                               "started": False, "state": {"waiting": {
                                   "reason": "ImagePullBackOff",
                                   "message": f'Back-off pulling image "{image}": not found'}}}]})
    w, problem = wait_problem(p, "train", "image-pull")
    tag = image.rpartition(":")[2]
    assert tag.startswith("nf-")
    assert problem["title"] == "image not found"
    assert problem["detail"] == f"tag {tag} not in the registry: did the build stage run? ({image})"
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'build:')}", "image.build")
    assert w["summary"] == "pending: image not found"


def test_succeeded_and_sweep_points(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        prep:
          kind: job
          command: [sh, -c, "echo prep"]
        search:
          kind: sweep
          command: [sh, -c, "python train.py --lr {lr} --bs {bs}"]
          sweep:
            grid: {lr: [0.1, 0.01], bs: [32, 64]}
          parallelism: 4
          backoff_limit_per_index: 0
        """)
    p.finish("prep")
    pods = {int(x["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]): x["metadata"]["name"]
            for x in p.wait_running(4) if x["metadata"]["labels"]["nautiform.io/workload"] == "search"}
    cluster.finish_pod(pods[0], namespace)
    cluster.finish_pod(pods[1], namespace, exit_code=3)

    def settled():
        w = workload(status(p), "search")
        return w if [x["state"] for x in w["points"]] == ["succeeded", "failed", "running", "running"] else None
    w = cluster._poll(settled, 60, "points 0 succeeded, 1 failed")
    assert [x["params"] for x in w["points"]] == [{"lr": "0.1", "bs": "32"}, {"lr": "0.1", "bs": "64"},
                                                  {"lr": "0.01", "bs": "32"}, {"lr": "0.01", "bs": "64"}]
    assert w["summary"] == "1/4 done, 2 running, 1 failed: exit code 3"
    (problem,) = [x for x in w["problems"] if x["code"] == "exit-code"]
    assert problem["points"] == [1] and problem["setting"] == "workloads.search.command"
    prep = workload(status(p), "prep")
    assert (prep["state"], prep["summary"], prep["problems"]) == ("succeeded", "succeeded", [])
    text = _text(p)
    assert "\n".join(text.splitlines()[text.splitlines().index("search: 4 points"):][:6]) == "\n".join([
        "search: 4 points",
        "  POINT  STATE      PARAMETERS",
        "  0      succeeded  lr=0.1 bs=32",
        "  1      failed     lr=0.1 bs=64",
        "  2      running    lr=0.01 bs=32",
        "  3      running    lr=0.01 bs=64"])
    assert "  search: exit code 3 (point 1)" in text
    by_point = p.run("status", "search")
    assert "  lab-search-" in by_point.stdout and "POINT  NODE" in by_point.stdout


def test_suspended_job_waits_for_its_gate(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
        """)
    job = p.job("train")["metadata"]["name"]
    cluster.kubectl("patch", "job", job, "-n", namespace, "--type=merge", "-p",
                    '{"metadata": {"annotations": {"nautiform.io/after": "dataset horse2zebra"}},'
                    ' "spec": {"suspend": true}}')
    w = cluster._poll(lambda: (lambda x: x if x["state"] == "waiting" else None)(workload(status(p), "train")), 30,
                      "train waiting")
    assert w["summary"] == "waiting for dataset horse2zebra"
    assert "train     job   waiting for dataset horse2zebra" in _text(p)


def test_watch_refreshes_until_interrupted(cluster, namespace, tmp_path):
    import os
    import signal
    import subprocess

    from lifecycle import BIN

    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
        """)
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "NAUTIFORM_REPO": p.repo,
           "NAUTIFORM_KUBECTL": cluster.kubectl_bin}
    with subprocess.Popen([str(BIN / "nautiform"), "status", "--watch", "--interval", "1"], cwd=p.path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        seen = 0
        for line in proc.stdout:
            seen += line.startswith("project lab in namespace")
            if seen == 2:
                break
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0 and seen == 2
        assert proc.stderr.read() == ""
