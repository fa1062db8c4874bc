#!/usr/bin/env python3
"""nautiform gate: start a project's runs when what they wait for is done, so no GPU idles meanwhile.

Kubernetes has no ordering between Jobs. nautiform writes a Job that needs another one's result (a
dataset's data Job, an `after:` workload) *suspended*: it has no pods, so it holds no GPU. This
small CPU program, run in the namespace as a Job of its own with a Role that allows exactly what it
does, releases such a Job (`spec.suspend: false`) once every Job named in its annotation
`nautiform.io/after` is Complete — on the cluster, or, if its TTL already removed it, in the
project's ledger. A prerequisite that failed leaves the dependant suspended and marked
`nautiform.io/blocked`, so `nautiform status` can say why. Interactive pods that wait for data are
not created at all until their data is there; apply lists them in the ConfigMap
`<project>-nautiform-gate` and the gate creates them. While it runs, it also writes how finished
Jobs ended into the ledger, so the record survives their TTL. It exits when nothing waits and no
Job of the project is running.

One standalone file, Python 3.8+ standard library. It talks to the API server with the pod's
ServiceAccount token (or --server/--token-file/--ca-file, which the tests use from outside).

    python3 nautiform_gate.py --namespace NS --project P [--once] [--interval S]
"""
from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
AFTER = "nautiform.io/after"
BLOCKED = "nautiform.io/blocked"
PROJECT = "nautiform.io/project"


def log(msg: str) -> None:
    print(f"nautiform-gate: {msg}", file=sys.stderr, flush=True)


class Api:
    def __init__(self, server: str, token: str, ca_file: str | None):
        self.server = server.rstrip("/")
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def call(self, method: str, path: str, body=None, content_type: str = "application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json", "Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            raise ApiError(exc.code, exc.read().decode("utf-8", "replace")[:300]) from None


class ApiError(Exception):
    def __init__(self, code: int, text: str):
        super().__init__(f"HTTP {code}: {text}")
        self.code = code


def condition(job: dict, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def outcome(job: dict) -> str | None:
    return "succeeded" if condition(job, "Complete") else "failed" if condition(job, "Failed") else None


class Gate:
    def __init__(self, api: Api, namespace: str, project: str):
        self.api, self.ns, self.project = api, namespace, project
        self.base = f"/apis/batch/v1/namespaces/{namespace}/jobs"
        self.cms = f"/api/v1/namespaces/{namespace}/configmaps"

    def jobs(self) -> dict:
        items = self.api.call("GET", f"{self.base}?labelSelector={PROJECT}%3D{self.project}")["items"]
        return {j["metadata"]["name"]: j for j in items}

    def ledger(self) -> tuple[dict | None, dict]:
        cm = self.api.call("GET", f"{self.cms}/{self.project}-nautiform-ledger")
        if not cm:
            return None, {}
        try:
            return cm, json.loads((cm.get("data") or {}).get("ledger.json", "{}"))
        except ValueError:
            return cm, {}

    def state(self, name: str, jobs: dict, book: dict) -> str | None:
        if name in jobs:
            return outcome(jobs[name])
        return ((book.get("runs") or {}).get(name) or {}).get("state")

    def ready(self, after: list, jobs: dict, book: dict) -> tuple[bool, str]:
        """(all done, the first failed prerequisite or "")."""
        states = {n: self.state(n, jobs, book) for n in after}
        failed = next((n for n, s in states.items() if s == "failed"), "")
        return all(s in ("succeeded", "ran") for s in states.values()), failed

    def release_jobs(self, jobs: dict, book: dict) -> int:
        waiting = 0
        for name, job in sorted(jobs.items()):
            after = [n for n in (job["metadata"].get("annotations") or {}).get(AFTER, "").split(",") if n]
            if not job["spec"].get("suspend") or not after:
                continue
            done, failed = self.ready(after, jobs, book)
            if done:
                self.api.call("PATCH", f"{self.base}/{name}", {"spec": {"suspend": False}},
                              "application/merge-patch+json")
                log(f"released job/{name}: {', '.join(after)} done")
            elif failed:
                if (job["metadata"].get("annotations") or {}).get(BLOCKED) != failed:
                    self.api.call("PATCH", f"{self.base}/{name}",
                                  {"metadata": {"annotations": {BLOCKED: failed}}}, "application/merge-patch+json")
                    log(f"job/{name} stays suspended: {failed} failed")
            else:
                waiting += 1
        return waiting

    def create_pods(self, jobs: dict, book: dict) -> int:
        cm = self.api.call("GET", f"{self.cms}/{self.project}-nautiform-gate")
        if not cm:
            return 0
        pending = json.loads((cm.get("data") or {}).get("pods.json", "[]"))
        left = []
        for entry in pending:
            done, failed = self.ready(entry["after"], jobs, book)
            if not done:
                left.append(entry)
                continue
            try:
                self.api.call("POST", f"/api/v1/namespaces/{self.ns}/pods", entry["pod"])
                log(f"created pod/{entry['pod']['metadata']['name']}: {', '.join(entry['after'])} done")
            except ApiError as exc:
                if exc.code != 409:  # already there: someone (apply) made it
                    raise
        if len(left) != len(pending):
            cm["data"]["pods.json"] = json.dumps(left)
            self.api.call("PUT", f"{self.cms}/{cm['metadata']['name']}", cm)
        return len([e for e in left if not self.ready(e["after"], jobs, book)[1]])

    def record(self, jobs: dict, cm: dict | None, book: dict) -> None:
        """Write how finished Jobs ended into the ledger before their TTL removes them."""
        if cm is None:
            return
        runs, changed = book.setdefault("runs", {}), False
        for name, job in jobs.items():
            end = outcome(job)
            entry = runs.get(name)
            if end and entry is not None and entry.get("state") == "created":
                entry.update(state=end, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
                changed = True
        if changed:
            cm["data"]["ledger.json"] = json.dumps(book, indent=1, sort_keys=True) + "\n"
            try:
                self.api.call("PUT", f"{self.cms}/{cm['metadata']['name']}", cm)
            except ApiError as exc:
                if exc.code != 409:  # someone else wrote it first: recorded on the next pass
                    raise

    def step(self) -> bool:
        """One pass; True while there is anything left to wait for or watch."""
        jobs = self.jobs()
        cm, book = self.ledger()
        self.record(jobs, cm, book)
        waiting = self.release_jobs(jobs, book) + self.create_pods(jobs, book)
        active = [n for n, j in jobs.items() if not outcome(j) and not j["spec"].get("suspend")
                  and not n.startswith(f"{self.project}-nautiform-gate")]
        return bool(waiting or active)


def api_from(args) -> Api:
    token_file = args.token_file or f"{SA_DIR}/token"
    server = args.server or "https://{}:{}".format(os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc"),
                                                  os.environ.get("KUBERNETES_SERVICE_PORT", "443"))
    ca = args.ca_file or (f"{SA_DIR}/ca.crt" if os.path.exists(f"{SA_DIR}/ca.crt") else None)
    with open(token_file, encoding="utf-8") as fh:
        return Api(server, fh.read().strip(), ca)


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nautiform_gate.py")
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--interval", type=float, default=15.0)
    ap.add_argument("--once", action="store_true", help="one pass, then exit (0: nothing left, 3: still waiting)")
    ap.add_argument("--server")
    ap.add_argument("--token-file")
    ap.add_argument("--ca-file")
    args = ap.parse_args(argv)
    gate = Gate(api_from(args), args.namespace, args.project)
    while True:
        try:
            busy = gate.step()
        except (ApiError, urllib.error.URLError, OSError) as exc:
            log(f"{exc}; trying again in {args.interval:.0f}s")
            busy = True
        if not busy:
            log("nothing waits and nothing runs: done")
            return 0
        if args.once:
            return 3
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
