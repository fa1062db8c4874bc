"""A project on the local control plane, driven through the real `nautiform` CLI (tests of apply,
plan, rerun and the run lifecycle). Pods stay Running until a test ends them (kwok-stages.yaml)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

SMALL = """\
version: 1
project: {{name: {name}, namespace: {namespace}, profile: generic}}
image: {{ref: "busybox:1.36"}}
volumes:
  data: {{size: {size}, storage_class: rook-cephfs, access_mode: ReadWriteMany}}
defaults:
  cpu: 100m
  memory: 64Mi
  mounts: {{data: /data}}
workloads:
  train:
    kind: job
    command: [sh, -c, "{train}"]
  prep:
    kind: job
    command: [sh, -c, "echo prep"]
  dev:
    kind: interactive
    deadline: 1h
"""


def small(name: str = "lab", namespace: str = "x", size: str = "1Gi", train: str = "echo train") -> str:
    return SMALL.format(name=name, namespace=namespace, size=size, train=train)


class Project:
    """One repository checkout (its identity: `repo`) holding a project.yaml, compiled and applied."""

    def __init__(self, cluster, path: Path, namespace: str, repo: str = "gitlab.example/lab/proj"):
        self.cluster, self.path, self.namespace, self.repo = cluster, path, namespace, repo
        path.mkdir(parents=True, exist_ok=True)

    def write(self, text: str) -> "Project":
        (self.path / "project.yaml").write_text(text)
        run = self.run("compile")
        assert run.returncode == 0, run.stderr
        return self

    def run(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        full = {**os.environ, "KUBECONFIG": str(self.cluster.kubeconfig), "NAUTIFORM_REPO": self.repo,
                "NAUTIFORM_KUBECTL": self.cluster.kubectl_bin, "CI_COMMIT_SHA": "c0ffee" * 6, **(env or {})}
        return subprocess.run([str(BIN / "nautiform"), *args], cwd=self.path, env=full, capture_output=True,
                              text=True, timeout=300)

    def apply(self, *args: str, env: dict | None = None, ok: bool = True) -> subprocess.CompletedProcess:
        run = self.run("apply", *args, env=env)
        if ok:
            assert run.returncode == 0, run.stdout + run.stderr
        return run

    # ---- live state ------------------------------------------------------------------------------
    def objects(self, kinds: str = "jobs,pods,configmaps,pvc", selector: str | None = None) -> dict:
        items = self.cluster.get_json(kinds, "-n", self.namespace, *(["-l", selector] if selector else []))["items"]
        return {(o["kind"], o["metadata"]["name"]): o for o in items}

    def uids(self, kinds: str = "jobs,pods") -> dict:
        return {k: o["metadata"]["uid"] for k, o in self.objects(kinds).items()}

    def job(self, workload: str) -> dict | None:
        jobs = self.cluster.get_json("jobs", "-n", self.namespace, "-l", f"nautiform.io/workload={workload}")["items"]
        assert len(jobs) <= 1, [j["metadata"]["name"] for j in jobs]
        return jobs[0] if jobs else None

    def ledger(self, project: str = "lab") -> dict:
        cm = self.cluster.get_json("configmap", f"{project}-nautiform-ledger", "-n", self.namespace)
        return json.loads(cm["data"]["ledger.json"])

    def wait_running(self, count: int, timeout: float = 60) -> list[dict]:
        return self.cluster._poll(lambda: (lambda p: p if len(p) >= count else None)(
            self.cluster.running_pods(self.namespace)), timeout, f"{count} Running pods in {self.namespace}")

    def finish(self, workload: str, exit_code: int = 0) -> None:
        for p in self.cluster.running_pods(self.namespace, f"nautiform.io/workload={workload}"):
            self.cluster.finish_pod(p["metadata"]["name"], self.namespace, exit_code=exit_code)
        condition = "Complete" if exit_code == 0 else "Failed"
        self.cluster._poll(lambda: self.cluster._condition(self.job(workload) or {}, condition), 60,
                           f"job {workload} {condition}")
