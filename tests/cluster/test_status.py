"""`nautiform status` on the local control plane (issue 15): each state is produced for real — the
scheduler refuses, the Job controller fails Jobs at their deadline or retry limit — or, for what only a
kubelet could do (OOMKilled, Evicted, image pulls, crash loops), written into pod status through the
API as the kubelet would. Each test asserts what status says in JSON and in text."""
from __future__ import annotations

import time

from daytwo import HEAD, block, line_of, pod_of, project, status, wait_problem, workload


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
    assert problem["detail"] == ("needs 5 × nvidia.com/gpu of NVIDIA-A10 in us-west; 1 node matches, but the largest "
                                 "has 4 nvidia.com/gpu (it asks for 5)")
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'count: 5')}",
                                                      "workloads.big.gpu.count")
    assert "Insufficient nvidia.com/gpu" in problem["scheduler"]  # the scheduler's own words are kept for scripts
    assert block(_text(p), "big") == [
        f"  big: never fits (pod {problem['pods'][0]})",
        "    needs 5 × nvidia.com/gpu of NVIDIA-A10 in us-west; 1 node matches, but the",
        "      largest has 4 nvidia.com/gpu (it asks for 5)",
        f"    project.yaml:{line_of(p, 'count: 5')} workloads.big.gpu.count: ask for at most 4, or allow more",
        "      products or regions"]


def test_pending_on_a_product_absent_from_the_region(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "echo train"]
          gpu: {count: 1, products: [NVIDIA-A10]}
          region: [us-east]
        """)
    _, problem = wait_problem(p, "train", "unschedulable")
    assert problem["title"] == "never fits"
    assert problem["detail"] == ("needs 1 × nvidia.com/gpu of NVIDIA-A10 in us-east; there is none in us-east: "
                                 "NVIDIA-A10 is in us-west")
    assert problem["setting"] == "workloads.train.region" and problem["hint"].startswith("add us-west to region")


def test_unbound_volume_points_at_the_volume(cluster, namespace, tmp_path):
    head = HEAD_WITH_VOLUME
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


HEAD_WITH_VOLUME = """\
version: 1
project: {{name: lab, namespace: {namespace}, profile: generic}}
image: {{ref: "busybox:1.36"}}
volumes:
  huge: {{size: 5Ti, storage_class: rook-cephfs, access_mode: ReadWriteMany}}
defaults:
  cpu: 100m
  memory: 64Mi
workloads:
"""


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


def test_evicted_for_ephemeral_storage(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
          ephemeral_storage: 10Gi
        """)
    pod = pod_of(cluster, namespace, "train")
    cluster.finish_pod(pod, namespace, exit_code=137, reason="Evicted",
                       message="Pod ephemeral local storage usage exceeds the total limit of containers 10Gi. ")
    w, problem = wait_problem(p, "train", "evicted")
    assert problem["title"] == "evicted: disk limit"
    assert problem["detail"] == ("evicted: used more local disk than its ephemeral-storage limit 10Gi (Pod ephemeral "
                                 "local storage usage exceeds the total limit of containers 10Gi.)")
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'ephemeral_storage: 10Gi')}",
                                                      "workloads.train.ephemeral_storage")
    assert w["summary"].startswith(("retrying (1 failed): evicted: disk limit", "pending", "running"))


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


def test_crash_loop_of_an_interactive_pod(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        dev:
          kind: interactive
          command: [python, serve.py]
        """)
    pod = pod_of(cluster, namespace, "dev")
    cluster.set_pod_status(pod, namespace, {"containerStatuses": [{
        "name": "main", "image": "busybox:1.36", "imageID": "", "ready": False, "restartCount": 5, "started": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "startedAt": "2026-01-01T00:00:00Z",
                                     "finishedAt": "2026-01-01T00:00:01Z"}}}]})
    w, problem = wait_problem(p, "dev", "crash-loop")
    assert problem["detail"] == "container main keeps exiting (code 2, restarted 5 times)"
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'command: [python')}",
                                                      "workloads.dev.command")
    assert problem["hint"] == "`nautiform logs WORKLOAD --previous` shows the last run's output"
    assert w["summary"] == f"running on {w['pods'][0]['node']}" and w["pods"][0]["restarts"] == 5


def test_job_deadline_exceeded_is_the_job_controllers(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
          deadline: 3s
        """)
    cluster._poll(lambda: cluster._condition(p.job("train") or {}, "Failed"), 60, "train past its deadline")
    w, problem = wait_problem(p, "train", "deadline-exceeded")
    assert w["summary"] == "failed: deadline exceeded"
    assert problem["detail"] == "stopped at its deadline (3s, activeDeadlineSeconds)"
    assert (problem["where"], problem["setting"]) == (f"project.yaml:{line_of(p, 'deadline: 3s')}",
                                                      "workloads.train.deadline")


def test_interactive_pod_at_its_deadline(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        dev:
          kind: interactive
          deadline: 2h
        """)
    pod = pod_of(cluster, namespace, "dev")
    cluster.finish_pod(pod, namespace, exit_code=137, reason="DeadlineExceeded",
                       message="Pod was active on the node longer than the specified deadline")
    w, problem = wait_problem(p, "dev", "deadline-exceeded")
    assert w["summary"] == "failed: deadline exceeded"
    assert problem["detail"] == "stopped at its deadline (2h, activeDeadlineSeconds)"
    assert problem["hint"].startswith("NRP stops interactive pods after 6h: the next apply starts a fresh one")


def test_preempted_pod(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        train:
          kind: job
          command: [sh, -c, "python train.py"]
          priority_class: opportunistic
        """)
    pod = pod_of(cluster, namespace, "train")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cluster.set_pod_status(pod, namespace, {"phase": "Failed", "conditions": [
        {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler", "lastTransitionTime": now,
         "message": "Preempted in order to admit critical pod"}],
        "containerStatuses": [{"name": "main", "image": "busybox:1.36", "imageID": "", "ready": False,
                               "restartCount": 0, "started": False, "state": {"terminated": {
                                   "exitCode": 137, "reason": "Error", "startedAt": now, "finishedAt": now}}}]})
    _, problem = wait_problem(p, "train", "preempted")
    assert problem["detail"] == "preempted by a higher-priority pod: Preempted in order to admit critical pod"
    assert problem["setting"] == "workloads.train.priority_class"
    assert problem["hint"].startswith("a Job starts it again without using a retry")


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
