"""`nautiform logs | exec | port-forward | stop WORKLOAD` by project.yaml name, on the local control plane.

The shared kwok fakes kubelets without their API (port 10250): there the tests check the exact kubectl
command built (`--print`), then run it: the API server resolves the pod and dials its node's kubelet for
exactly that pod and container (the refused connection names the URL). On a node of a second kwok that
serves a kubelet API (kwoknode.py) the same commands really run: logs from a file, an exec as a local
process, a port-forward to a local HTTP server.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.request

import yaml

from daytwo import pod_of, project, serve, status, with_volume, workload
from kwoknode import free_port, kwok_node
from lifecycle import BIN

WORKLOADS = """\
    train:
      kind: job
      command: [sh, -c, "python train.py"]
    search:
      kind: sweep
      command: [sh, -c, "python train.py --lr {lr}"]
      sweep:
        grid: {lr: [0.1, 0.01]}
      parallelism: 2
    dev:
      kind: interactive
      deadline: 1h
    """


def _kubectl(p) -> str:
    """How --print shows kubectl: `kubectl` when that is the one on PATH, else its full path."""
    return "kubectl" if shutil.which("kubectl") == p.cluster.kubectl_bin else p.cluster.kubectl_bin


def test_logs_exec_and_port_forward_commands_by_workload_name(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, WORKLOADS)
    train, dev = pod_of(cluster, namespace, "train"), pod_of(cluster, namespace, "dev")
    p.wait_running(4)
    points = {x["point"]: x["name"] for x in workload(status(p), "search")["pods"]}
    k, ns = _kubectl(p), namespace
    cases = {
        ("logs", "train", "--print"): f"{k} logs -n {ns} {train} -c main",
        ("logs", "train", "-f", "--tail", "20", "--print"): f"{k} logs -n {ns} {train} -c main -f --tail=20",
        ("logs", "search", "--point", "1", "--print"): f"{k} logs -n {ns} {points[1]} -c main",
        ("logs", "dev", "--previous", "--print"): f"{k} logs -n {ns} {dev} -c main --previous",
        ("exec", "dev", "--print"): f"{k} exec -n {ns} -i {dev} -c main -- /bin/sh -c 'command -v bash >/dev/null "
                                    "2>&1 && exec bash || exec sh'",
        ("exec", "dev", "--print", "--", "nvidia-smi", "-L"): f"{k} exec -n {ns} -i {dev} -c main -- nvidia-smi -L",
        ("port-forward", "dev", "8888", "--print"): f"{k} port-forward -n {ns} pod/{dev} 8888:8888 "
                                                   "--address=127.0.0.1",
        ("port-forward", "dev", "9999:8888", "--print"): f"{k} port-forward -n {ns} pod/{dev} 9999:8888 "
                                                        "--address=127.0.0.1",
    }
    for args, expected in cases.items():
        run = p.run(*args)
        assert (run.returncode, run.stdout.strip(), run.stderr) == (0, expected, ""), args

    # The real commands: the API server finds exactly that pod and container and dials its kubelet.
    logs = p.run("logs", "train")
    assert logs.returncode == 1 and f"/containerLogs/{ns}/{train}/main" in logs.stderr, logs.stderr
    run = p.run("exec", "dev", "--", "nvidia-smi")
    assert run.returncode == 1 and f"/exec/{ns}/{dev}/main?command=nvidia-smi" in run.stderr, run.stderr
    forward = p.run("port-forward", "dev", "18888")
    assert forward.returncode == 1 and "error dialing backend" in forward.stderr, forward.stderr
    assert f"forwarding 127.0.0.1:18888 to dev ({dev}) port 18888" in forward.stderr


def test_logs_exec_and_port_forward_really_run_on_a_node_with_a_kubelet_api(cluster, namespace, tmp_path):
    region = f"kwok-{namespace}"  # the project's pods go to the served node by region
    logs, workdir = tmp_path / "train.log", tmp_path / "work"
    logs.write_text("2026-11-30T12:00:00.000000000Z stdout F epoch 1 loss 0.91\n"  # the CRI log format kwok reads
                    "2026-11-30T12:00:01.000000000Z stdout F epoch 2 loss 0.52\n")
    workdir.mkdir()
    with serve(lambda *_: (200, {"notebook": "up"})) as (url, seen):
        simulations = f"""
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {{name: logs-{namespace}}}
spec:
  selector: {{matchNamespaces: [{namespace}]}}
  logs: [{{containers: [main], logsFile: "{logs}"}}]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {{name: exec-{namespace}}}
spec:
  selector: {{matchNamespaces: [{namespace}]}}
  execs: [{{local: {{workDir: "{workdir}"}}}}]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata: {{name: forward-{namespace}}}
spec:
  selector: {{matchNamespaces: [{namespace}]}}
  forwards: [{{ports: [8888], target: {{address: 127.0.0.1, port: {url.rsplit(":", 1)[1]}}}}}]
"""
        with kwok_node(cluster, namespace, tmp_path, f"nf-kubelet-{namespace}", simulations,
                       labels={"topology.kubernetes.io/region": region},
                       capacity={"cpu": "4", "memory": "4Gi", "pods": "10"}):
            p = project(cluster, tmp_path, namespace, f"""\
                train:
                  kind: job
                  command: [sh, -c, "python train.py"]
                  region: [{region}]
                dev:
                  kind: interactive
                  region: [{region}]
                """)
            p.wait_running(2)
            run = p.run("logs", "train")
            assert (run.returncode, run.stdout, run.stderr) == (0, "epoch 1 loss 0.91\nepoch 2 loss 0.52\n", ""), run.stderr
            run = p.run("logs", "train", "--tail", "1")
            assert (run.returncode, run.stdout) == (0, "epoch 2 loss 0.52\n"), run.stderr
            run = p.run("exec", "dev", "--", "sh", "-c", "echo hello from $(pwd)")
            assert (run.returncode, run.stdout) == (0, f"hello from {workdir}\n"), run.stderr
            local = free_port()
            with subprocess.Popen([str(BIN / "nautiform"), "port-forward", "dev", f"{local}:8888"], cwd=p.path,
                                  env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "NAUTIFORM_REPO": p.repo,
                                       "NAUTIFORM_KUBECTL": cluster.kubectl_bin},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as forward:
                try:
                    assert "Forwarding from 127.0.0.1:" in forward.stdout.readline()
                    with urllib.request.urlopen(f"http://127.0.0.1:{local}/", timeout=30) as answer:
                        assert json.load(answer) == {"notebook": "up"}
                finally:
                    forward.send_signal(signal.SIGINT)
                    forward.wait(timeout=30)
    assert len(seen) == 1  # the request went through the API server, kwok and the forward to the server


def test_reach_refuses_with_one_clear_line(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, WORKLOADS)
    p.wait_running(4)
    cases = {
        ("logs", "search"): "error: search is a sweep with pods for points 0-1\n"
                            "  hint: pass --point N (`nautiform status search` lists the points)\n",
        ("logs", "search", "--point", "7"): "error: point 7 of search has no pod now\n"
                                            "  hint: `nautiform status search` shows each point's state\n",
        ("logs", "train", "--point", "1"): "error: --point is for sweeps; train is a job\n",
        ("exec", "dve"): "error: no workload 'dve' in project.yaml\n"
                         "  hint: did you mean 'dev'? workloads: train, search, dev\n",
        ("port-forward", "dev", "notaport"): "error: 'notaport' is not a port\n"
                                             "  hint: PORT or LOCAL:REMOTE, e.g. 8888 or 9999:8888\n",
        ("logs", "dev", "-c", "sidecar"): "error: pod {dev} has no container 'sidecar'\n"
                                          "  hint: its containers: main\n",
    }
    dev = pod_of(cluster, namespace, "dev")
    for args, expected in cases.items():
        run = p.run(*args)
        assert (run.returncode, run.stdout, run.stderr) == (1, "", expected.format(dev=dev)), args
    p.finish("train")
    run = p.run("exec", "train")
    assert run.returncode == 1 and run.stderr.endswith("is Succeeded, not running\n"
                                                       "  hint: `nautiform status train` says why\n"), run.stderr


def test_stop_stops_runs_keeps_volumes_and_holds_them_until_rerun(cluster, namespace, tmp_path):
    head = with_volume("data: {{size: 1Gi, storage_class: rook-cephfs, access_mode: ReadWriteMany}}")
    p = project(cluster, tmp_path, namespace, WORKLOADS, head=head.replace("  memory: 64Mi\n",
                                                                           "  memory: 64Mi\n  mounts: {{data: /data}}\n"))
    p.wait_running(4)
    claim = cluster.get_json("pvc", "lab-data", "-n", namespace)["metadata"]["uid"]
    job = p.job("search")["metadata"]["name"]
    run = p.run("stop", "search")
    assert run.returncode == 0, run.stderr
    assert run.stdout == (f"  stopped   job/{job}\n"
                          "held: apply will not start search again; `nautiform rerun search` starts it again\n"
                          "volumes are untouched\n")
    assert p.job("search") is None and not cluster.pods(namespace, "nautiform.io/workload=search")
    assert cluster.get_json("pvc", "lab-data", "-n", namespace)["metadata"]["uid"] == claim
    assert p.ledger()["runs"][job]["state"] == "stopped"
    assert workload(status(p), "search")["summary"].startswith("stopped (held)")
    again = p.apply()
    assert f"held      job/{job}" in again.stdout and p.job("search") is None

    dev = pod_of(cluster, namespace, "dev")
    run = p.run("stop", "dev")
    assert run.stdout == (f"  stopped   pod/{dev}\nnote: dev is interactive; the next apply starts a fresh pod\n"
                          "volumes are untouched\n"), run.stdout + run.stderr
    p.finish("train")
    done = p.run("stop", "train")
    assert done.stdout == (f"  left      job/{p.job('train')['metadata']['name']}: already succeeded\n"
                           "nothing of train is running\n")
    rerun = p.run("rerun", "search")
    assert rerun.returncode == 0, rerun.stderr
    assert p.job("search") is not None and p.ledger()["runs"][job]["state"] == "created"


def test_stop_waits_for_an_apply_holding_the_lease(cluster, namespace, tmp_path):
    p = project(cluster, tmp_path, namespace, WORKLOADS)
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "lab-nautiform-lock", "namespace": namespace},
             "spec": {"holderIdentity": "a deploy job", "leaseDurationSeconds": 900,
                      "acquireTime": "2099-01-01T00:00:00.000000Z", "renewTime": "2099-01-01T00:00:00.000000Z"}}
    cluster.apply_yaml(yaml.safe_dump(lease), namespace)
    before = p.uids()
    run = p.run("stop", "train")
    assert run.returncode == 4 and run.stderr == ("error: an apply of lab is running: a deploy job since "
                                                  "2099-01-01T00:00:00.000000Z\n"
                                                  "  hint: nothing was stopped; try again when it has finished\n")
    assert p.uids() == before
    assert json.loads(cluster.kubectl("get", "lease", "-n", namespace, "-o", "json").stdout)["items"]
