"""A node with a kubelet API: a SECOND kwok (the same binary) simulating one node of its own, which
answers `kubectl exec`, `logs` and `port-forward` for its pods as KWOK's ClusterExec, ClusterLogs and
ClusterPortForward say (an exec runs as a process on this machine; logs come from a file; a forward
reaches a local port). The shared kwok publishes no kubelet port, so on its nodes these requests are
refused; on this node the real kube-apiserver, kubectl's streams and kwok's kubelet-side server carry
them. The node is small and tainted PreferNoSchedule, so other tests' pods keep off it.
"""
from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
from pathlib import Path

from cluster_harness import HERE

STAGES = HERE / "kwok-stages.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def kwok_node(cluster, namespace: str, tmp_path: Path, name: str, simulations: str, labels: dict | None = None,
              capacity: dict | None = None, extra: tuple = ()):
    """Serve node `name` for the test; `simulations`: KWOK Cluster* documents (YAML, each after `---`);
    `extra`: more objects to create with it (e.g. a PV bound to it). The namespace's pods, the extra
    objects and the node are deleted afterwards, and the kwok stopped."""
    port = free_port()
    config = tmp_path / f"{name}-kwok.yaml"
    config.write_text(STAGES.read_text() + simulations)
    binaries = subprocess.run([str(HERE / "build")], capture_output=True, text=True, check=True).stdout.split()[-1]
    pki = Path(cluster.kubeconfig).parent / "pki"
    log = open(tmp_path / f"{name}-kwok.log", "wb")
    kwok = subprocess.Popen([f"{binaries}/kwok", f"--kubeconfig={cluster.kubeconfig}", f"--config={config}",
                             f"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node={name}",
                             "--node-ip=127.0.0.1", "--node-name=localhost", f"--node-port={port}",
                             f"--server-address=127.0.0.1:{port}", f"--tls-cert-file={pki}/admin.crt",
                             f"--tls-private-key-file={pki}/admin.key", "--node-lease-duration-seconds=200"],
                            stdout=log, stderr=subprocess.STDOUT)
    capacity = capacity or {"cpu": "1", "memory": "1Gi", "pods": "2"}
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": name},
                         "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **(labels or {})}},
            "spec": {"taints": [{"key": "nautiform.io/exec-test", "value": "true", "effect": "PreferNoSchedule"}]},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}}
    objects = [node, *extra]
    try:
        cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        yield name
    finally:
        cluster.kubectl("delete", "pods", "--all", "-n", namespace, "--wait=false", check=False)
        for obj in reversed(objects):
            cluster.kubectl("delete", obj["kind"].lower(), obj["metadata"]["name"], "--wait=false", check=False)
        kwok.send_signal(signal.SIGTERM)
        try:
            kwok.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kwok.kill()
            kwok.wait()
        log.close()
