"""kubectl, the only way nautiform talks to a cluster (credentials: the usual KUBECONFIG)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess


class KubeError(Exception):
    pass


def kubectl_path() -> str:
    path = os.environ.get("NAUTIFORM_KUBECTL") or shutil.which("kubectl")
    if not path:
        raise KubeError("kubectl not found; install it or set NAUTIFORM_KUBECTL")
    return path


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([kubectl_path(), *args], input=stdin, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise KubeError(f"kubectl {' '.join(args[:3])} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def get(namespace: str, kinds: str, selector: str) -> list[dict]:
    proc = run("get", kinds, "-n", namespace, "-l", selector, "-o", "json")
    return json.loads(proc.stdout).get("items", [])


def get_one(namespace: str, kind: str, name: str) -> dict | None:
    proc = run("get", kind, name, "-n", namespace, "-o", "json", "--ignore-not-found", check=True)
    return json.loads(proc.stdout) if proc.stdout.strip() else None
