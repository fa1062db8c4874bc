"""`nautiform gpus` and the GPU-count side of `status` against the simulated Nautilus (issue 15).

The simulated nodes are fixed (tests/cluster/nautilus/nodes.yaml), so totals are known exactly. Free
counts come from three sources, each tested: every pod's requests (this admin account may list all
namespaces' pods), NRP's node feed (a local stand-in serving `guest.ListNodeInfo` with numbers the test
chooses), and none (an NRP-like account that may list nodes but not other namespaces' pods: "?").
Other sessions share the cluster, so the pod-count test compares with the cluster read just before
and after, and retries while they differ.
"""
from __future__ import annotations

import json
import time

from daytwo import HEAD, account, pod_of, portal_feed, project, prometheus, serve, status, wait_problem, workload
from lifecycle import Project

TOTALS = [("NVIDIA-A10", "us-west", "open", 2, 8),
          ("NVIDIA-A100-SXM4-80GB", "us-central", "open", 1, 4),
          ("NVIDIA-GeForce-RTX-3090", "us-east", "open", 1, 4),
          ("NVIDIA-GeForce-RTX-3090", "us-west", "nautilus.io/hardware=large-gpu:NoSchedule", 1, 8)]
NODES = {"NVIDIA-A10": ("nrp-a10-west", "nrp-a10-west-2"), "NVIDIA-A100-SXM4-80GB": ("nrp-a100-central",),
         ("NVIDIA-GeForce-RTX-3090", "us-east"): ("nrp-3090-east",),
         ("NVIDIA-GeForce-RTX-3090", "us-west"): ("nrp-3090x8-west",)}

FIT = """\
    one:
      kind: job
      command: [sh, -c, "python train.py"]
      gpu: {count: 1, products: [NVIDIA-A10]}
      region: [us-west]
    two:
      kind: job
      command: [sh, -c, "python train.py"]
      gpu: {count: 2, products: [NVIDIA-A10]}
      region: [us-west]
    five:
      kind: job
      command: [sh, -c, "python train.py"]
      gpu: {count: 5, products: [NVIDIA-A10]}
      region: [us-west]
    cpu:
      kind: job
      command: [sh, -c, "python prep.py"]
    odd:
      kind: job
      command: [sh, -c, "python prep.py"]
      priority_class: no-such-class
    """


def _written(cluster, tmp_path, namespace, workloads: str) -> Project:
    import textwrap

    p = Project(cluster, tmp_path / "repo", namespace)
    return p.write(HEAD.format(namespace=namespace) + textwrap.indent(textwrap.dedent(workloads), "  "))


def _gpus(p, *args, env=None) -> dict:
    run = p.run("gpus", "--format", "json", *args, env=env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _rows(doc) -> list:
    return [(r["product"], r["region"], r["access"], r["nodes"], r["gpus"]) for r in doc["gpus"]]


def _free_now(cluster) -> dict:
    """Node -> free GPUs, from every pod of every namespace (what the test, as admin, can see)."""
    nodes = {n["metadata"]["name"]: n for n in cluster.get_json("nodes")["items"]}
    free = {}
    for name, n in nodes.items():
        gpus = {k: int(v) for k, v in n["status"]["allocatable"].items() if k.startswith("nvidia.com/")}
        free[name] = dict(gpus)
    for pod in cluster.get_json("pods", "--all-namespaces")["items"]:
        node = pod["spec"].get("nodeName")
        if not node or pod["status"].get("phase") in ("Succeeded", "Failed"):
            continue
        for c in pod["spec"]["containers"]:
            for k, v in (c.get("resources", {}).get("limits") or {}).items():
                if k in free.get(node, {}):
                    free[node][k] -= int(v)
    return {name: sum(v.values()) for name, v in free.items()}


def test_gpus_counts_every_pod_when_the_account_may(cluster, namespace, tmp_path):
    p = _written(cluster, tmp_path, namespace, FIT)
    for _ in range(10):  # other sessions' pods come and go: accept only a reading that held still
        before = _free_now(cluster)
        doc = _gpus(p)
        if _free_now(cluster) == before:
            break
    assert _rows(doc) == TOTALS and doc["source"] == "pods"
    for row in doc["gpus"]:
        nodes = NODES.get((row["product"], row["region"])) or NODES[row["product"]]
        assert row["free"] == sum(before[n] for n in nodes), (row, before)
        assert row["most_free_on_one"] == max(before[n] for n in nodes), (row, before)
    verdicts = {w["name"]: (w["verdict"], w["dry_run"]["accepted"]) for w in doc["workloads"]}
    assert verdicts["five"] == ("never fits", True) and verdicts["cpu"] == ("fits now", True)
    assert verdicts["odd"][1] is False
    odd = next(w for w in doc["workloads"] if w["name"] == "odd")
    assert "no PriorityClass with name no-such-class was found" in odd["dry_run"]["message"]
    run = p.run("gpus")
    assert run.returncode == 0 and all(len(line) <= 80 for line in run.stdout.splitlines()), run.stdout
    assert "  [1] closed by taint nautilus.io/hardware=large-gpu:NoSchedule: only pods that" in run.stdout


def test_gpus_from_the_nrp_node_feed_stand_in(cluster, namespace, tmp_path):
    p = _written(cluster, tmp_path, namespace, FIT)
    feed = {"nrp-a10-west": 1, "nrp-a10-west-2": 0, "nrp-a100-central": 2, "nrp-3090-east": 0, "nrp-3090x8-west": 8}
    with serve(portal_feed(feed)) as (url, seen):
        doc = _gpus(p, "--portal", url, "--no-dry-run")
        text = p.run("gpus", "--no-dry-run", env={"NAUTIFORM_PORTAL_URL": url}).stdout
    assert seen[0][3]["method"] == "guest.ListNodeInfo" and seen[0][0] == "POST"
    assert doc["source"] == "portal" and doc["note"].startswith(f"free GPUs: NRP's node feed ({url})")
    assert [(r["product"], r["region"], r["free"], r["most_free_on_one"]) for r in doc["gpus"]] == [
        ("NVIDIA-A10", "us-west", 1, 1), ("NVIDIA-A100-SXM4-80GB", "us-central", 2, 2),
        ("NVIDIA-GeForce-RTX-3090", "us-east", 0, 0), ("NVIDIA-GeForce-RTX-3090", "us-west", 8, 8)]
    assert {w["name"]: (w["verdict"], w["detail"]) for w in doc["workloads"]} == {
        "one": ("fits now", "1 node has room now"),
        "two": ("must queue", "no matching node has room now (the most free GPUs on one is 1)"),
        "five": ("never fits", "the largest matching node has 4 nvidia.com/gpu"),
        "cpu": ("fits when free", "5 nodes are large enough; the node feed counts GPUs only"),  # not the tainted one
        "odd": ("fits when free", "5 nodes are large enough; the node feed counts GPUs only")}
    assert "NVIDIA-A10               us-west     2      8     1     1         open" in text


def test_a_node_feed_that_does_not_answer_is_one_line(cluster, namespace, tmp_path):
    p = _written(cluster, tmp_path, namespace, FIT)
    run = p.run("gpus", "--portal", "http://127.0.0.1:9/rpc")
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == ("error: the NRP node feed at http://127.0.0.1:9/rpc did not answer: [Errno 111] Connection "
                          "refused\n  hint: drop --portal (and NAUTIFORM_PORTAL_URL) to do without it\n")


def test_gpus_says_what_an_nrp_account_cannot_know(cluster, namespace, tmp_path):
    p = _written(cluster, tmp_path, namespace, FIT)
    with account(cluster, namespace, tmp_path, list_nodes=True) as kubeconfig:
        doc = _gpus(p, "--no-dry-run", env={"KUBECONFIG": str(kubeconfig)})
        text = p.run("gpus", "--no-dry-run", env={"KUBECONFIG": str(kubeconfig)}).stdout
    assert doc["source"] == "none" and _rows(doc) == TOTALS
    assert all(r["free"] is None and r["most_free_on_one"] is None for r in doc["gpus"])
    assert {w["name"]: w["verdict"] for w in doc["workloads"]} == {
        "one": "fits when free", "two": "fits when free", "five": "never fits", "cpu": "fits when free",
        "odd": "fits when free"}
    assert "NVIDIA-A10               us-west     2      8     ?     ?         open" in text
    assert "?: free GPUs cannot be known from this account: it may list nodes (their size)" in text


def test_no_permission_to_list_nodes_is_one_clear_line(cluster, namespace, tmp_path):
    p = _written(cluster, tmp_path, namespace, FIT)
    with account(cluster, namespace, tmp_path, list_nodes=False) as kubeconfig:
        run = p.run("gpus", env={"KUBECONFIG": str(kubeconfig)})
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == (f"error: your account (system:serviceaccount:{namespace}:researcher) may not list nodes "
                          "cluster-wide\n  hint: ask your namespace admin for that permission, or use a kubeconfig "
                          "that has it\n")


def test_status_of_a_pod_that_must_queue_from_each_source(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        hog:
          kind: job
          command: [sh, -c, "python big.py"]
          gpu: {count: 4, products: [NVIDIA-GeForce-RTX-3090]}
          region: [us-east]
        """)
    pod_of(cluster, namespace, "hog", timeout=120)  # all four GPUs of nrp-3090-east are ours now
    p.write(p.path.joinpath("project.yaml").read_text() + """\
  train:
    kind: job
    command: [sh, -c, "python train.py"]
    gpu: {count: 1, products: [NVIDIA-GeForce-RTX-3090]}
    region: [us-east]
""")
    p.apply()
    head = "needs 1 × nvidia.com/gpu of NVIDIA-GeForce-RTX-3090 in us-east; 1 node matches"
    _, problem = wait_problem(p, "train", "unschedulable")
    assert (problem["title"], problem["detail"]) == ("must queue", f"{head}, the most free on one is 0 (pods count)")
    assert problem["setting"] == "workloads.train.gpu.products"
    with account(cluster, namespace, tmp_path, list_nodes=True) as kubeconfig:
        _, problem = wait_problem(p, "train", "unschedulable", env={"KUBECONFIG": str(kubeconfig)})
    assert problem["detail"] == (f"{head} (the largest has 4); how many GPUs are free on them cannot be seen from "
                                 "your account")
    assert "`nautiform gpus --portal` shows NRP's free counts" in problem["hint"]
    with serve(portal_feed({"nrp-3090-east": 0})) as (url, _):
        _, problem = wait_problem(p, "train", "unschedulable", env={"NAUTIFORM_PORTAL_URL": url})
    assert problem["detail"] == f"{head}, the most free on one is 0 (portal count)"


def test_gpu_use_and_deadlines_are_flagged_when_known(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, """\
        gpu:
          kind: job
          command: [sh, -c, "python train.py"]
          cpu: 2
          memory: 4Gi
          gpu: {count: 1, products: [NVIDIA-A100-SXM4-80GB], resource: nvidia.com/a100}
        dev:
          kind: interactive
          deadline: 1h
        """)
    gpu_pod, dev = pod_of(cluster, namespace, "gpu", timeout=120), pod_of(cluster, namespace, "dev")
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 55 * 60))
    cluster.set_pod_status(dev, namespace, {"startTime": started})
    doc = status(p)
    assert workload(doc, "gpu")["flags"] == []
    (flag,) = workload(doc, "dev")["flags"]
    assert flag["code"] == "deadline-soon"
    assert flag["detail"].split(" (")[0] in ("ends in 4m", "ends in 5m")
    assert flag["detail"].endswith(" (its 1h deadline); save your work, the next apply starts a fresh pod")
    assert any(n.startswith("GPU use not checked: metrics are off") for n in doc["notes"])
    with serve(prometheus({gpu_pod: 12.5, "someone-elses-pod": 3.0})) as (url, seen):
        doc = status(p, "--prometheus", url)
    assert f'namespace="{namespace}"' in seen[0][2]["query"][0]
    assert workload(doc, "gpu")["flags"] == [{"code": "low-gpu-use", "pod": gpu_pod, "percent": 12.5, "detail":
                                              "GPU use 12% over the last hour; NRP counts pods under 40% as "
                                              "violations"}]
    assert not any(n.startswith("GPU use not") for n in doc["notes"])
    doc = status(p, "--prometheus", "http://127.0.0.1:9")  # nothing listens there
    assert any(n.startswith("GPU use not read: Prometheus at http://127.0.0.1:9 did not answer") for n in doc["notes"])
