"""Helpers for the day-two tests (issue 15): small projects, restricted accounts like an NRP user's,
and local stand-ins for NRP's public node feed and Prometheus."""
from __future__ import annotations

import contextlib
import json
import subprocess
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from lifecycle import Project

HEAD = """\
version: 1
project: {{name: lab, namespace: {namespace}, profile: generic}}
image: {{ref: "busybox:1.36"}}
defaults:
  cpu: 100m
  memory: 64Mi
workloads:
"""


def with_volume(volume: str) -> str:
    """HEAD with one volume (YAML flow text, its braces doubled for str.format)."""
    return HEAD.replace("defaults:\n", f"volumes:\n  {volume}\ndefaults:\n")


def project(cluster, tmp_path: Path, namespace: str, workloads: str, head: str = HEAD) -> Project:
    """A project whose `workloads:` are the given YAML (dedented), compiled and applied."""
    p = Project(cluster, tmp_path / "repo", namespace)
    p.write(head.format(namespace=namespace) + textwrap.indent(textwrap.dedent(workloads), "  "))
    p.apply()
    return p


def line_of(p: Project, needle: str) -> int:
    """1-based line of the first line of project.yaml containing `needle`."""
    lines = (p.path / "project.yaml").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def status(p: Project, *args: str, env: dict | None = None) -> dict:
    run = p.run("status", "--format", "json", *args, env=env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def workload(doc: dict, name: str) -> dict:
    return next(w for w in doc["workloads"] if w["name"] == name)


def wait_problem(p: Project, name: str, code: str, timeout: float = 60, env: dict | None = None) -> tuple[dict, dict]:
    """Poll `status --format json` until workload `name` shows a problem `code`; (workload, problem)."""
    deadline = time.monotonic() + timeout
    while True:
        w = workload(status(p, env=env), name)
        found = [x for x in w["problems"] if x["code"] == code]
        if found:
            return w, found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {code} problem for {name} after {timeout}s: {json.dumps(w, indent=1)}")
        time.sleep(1)


def block(text: str, name: str) -> list[str]:
    """The lines of the text report's problem entry for workload `name` (its heading and indented lines)."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"  {name}: ") and i > lines.index("problems"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return lines[start:end]


def pod_of(cluster, namespace: str, name: str, phase: str = "Running", timeout: float = 60) -> str:
    """The name of the first pod of workload `name` in `phase`."""
    def find():
        pods = [p for p in cluster.pods(namespace, f"nautiform.io/workload={name}")
                if p.get("status", {}).get("phase") == phase and not p["metadata"].get("deletionTimestamp")]
        return pods[0]["metadata"]["name"] if pods else None
    return cluster._poll(find, timeout, f"a {phase} pod of {name} in {namespace}")


# ---- an NRP-like account: everything in its namespace, maybe list nodes, never other namespaces ----
@contextlib.contextmanager
def account(cluster, namespace: str, tmp_path: Path, list_nodes: bool):
    """A kubeconfig for a ServiceAccount that is admin of `namespace` only (and may list nodes)."""
    sa = "researcher"
    cluster.kubectl("create", "serviceaccount", sa, "-n", namespace)
    cluster.kubectl("create", "rolebinding", f"{sa}-admin", "--clusterrole=admin", f"--serviceaccount={namespace}:{sa}",
                    "-n", namespace)
    role = f"nautiform-test-nodes-{namespace}"
    if list_nodes:
        cluster.kubectl("create", "clusterrole", role, "--verb=list,watch", "--resource=nodes")
        cluster.kubectl("create", "clusterrolebinding", role, f"--clusterrole={role}",
                        f"--serviceaccount={namespace}:{sa}")
    try:
        token = cluster.kubectl("create", "token", sa, "-n", namespace).stdout.strip()
        server = cluster.kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
        path = tmp_path / f"{sa}.kubeconfig"
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": namespace}}],
            "users": [{"name": "u", "user": {"token": token}}]}))
        yield path
    finally:
        if list_nodes:
            cluster.kubectl("delete", "clusterrolebinding,clusterrole", role, "--ignore-not-found", check=False)


# ---- local HTTP stand-ins ------------------------------------------------------------------------
@contextlib.contextmanager
def serve(answer):
    """An HTTP server on 127.0.0.1; `answer(method, path, query, body) -> (status, dict)`. Yields its URL
    and the list of requests it saw."""
    seen: list = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            url = urlparse(self.path)
            seen.append((method, url.path, parse_qs(url.query), body))
            code, doc = answer(method, url.path, parse_qs(url.query), body)
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._reply("GET")

        def do_POST(self):
            self._reply("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def portal_feed(available: dict, capacity: dict | None = None):
    """The JSON-RPC answer of NRP's `guest.ListNodeInfo`, node name -> GPUs free (strings, as NRP sends)."""
    def answer(method, path, query, body):
        if method != "POST" or (body or {}).get("method") != "guest.ListNodeInfo":
            return 200, {"jsonrpc": "2.0", "id": (body or {}).get("id"), "error": {"code": -32601, "message": "no"}}
        nodes = [{"Name": n, "GPUType": "", "GPUCapacity": str((capacity or {}).get(n, free)),
                  "GPUAvailable": str(free), "Taints": [], "IsUnschedulable": False, "CPUAvailable": "8",
                  "GPUDriver": "580.65", "CUDA": "13.0"} for n, free in available.items()]
        return 200, {"jsonrpc": "2.0", "id": body.get("id"), "result": {"Nodes": nodes}}
    return answer


def prometheus(use: dict):
    """A Prometheus answering instant queries of DCGM_FI_DEV_GPU_UTIL with pod -> percent."""
    def answer(method, path, query, body):
        q = (query.get("query") or [""])[0]
        if path != "/api/v1/query" or "DCGM_FI_DEV_GPU_UTIL" not in q:
            return 400, {"status": "error", "error": f"unexpected query {q!r}"}
        result = [{"metric": {"pod": pod}, "value": [time.time(), str(pct)]} for pod, pct in use.items()]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
    return answer


def run(argv: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
