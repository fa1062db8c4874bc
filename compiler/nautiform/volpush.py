"""`nautiform data push` to a `push` dataset: files go straight onto its volume through a transfer pod.

Why `kubectl exec -i` with a tar stream (what `kubectl cp` does too), but several at once: the laptop
needs nothing but kubectl and the cluster credentials it already has; no Service, port-forward or
bucket. Each stream is one exec; `--streams` of them run side by side (files shared out by size),
because one exec stream through the API server is what makes `kubectl cp` slow.

What each exec's stdin carries: first the two runtime modules (length-prefixed; BOOT loads them),
then a tar stream: `.nautiform-push/request.json` and the files (runtime/nautiform_receive.py).
Steps: `prepare` (what is there already), the `part`s, `commit` (install, marker last). The
receiver is shipped with every exec, so the pod needs only python3 (the profile's data image)
and always runs the code of the nautiform that pushes.
"""
from __future__ import annotations

import io
import json
import secrets
import shlex
import subprocess
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from . import kube
from .derive import runtime_spec
from .builders.transfer import CONTAINER, selector, transfer_pod, volume_mount
from .progress import Progress, count, human, rate
from .pushfiles import LocalFile, PushError
from .runtime import nautiform_data as nd

RUNTIME = Path(__file__).parent / "runtime"
MODULES = ("nautiform_data", "nautiform_receive")
REQUEST = ".nautiform-push/request.json"
# Loads the modules from the head of stdin and runs the receiver; the rest of stdin is its tar stream.
BOOT = ("import sys,types\n"
        "r=sys.stdin.buffer\n"
        "for n in %r:\n"
        " m=types.ModuleType(n);m.__file__=n+'.py';sys.modules[n]=m\n"
        " exec(compile(r.read(int(r.readline())),n+'.py','exec'),m.__dict__)\n"
        "sys.exit(m.main(sys.argv[1:]))" % (MODULES,))


class Outcome(NamedTuple):
    current: bool  # the volume already held exactly this data
    sent: list
    kept: int  # verified files of an interrupted attempt
    carried: int  # unchanged files of the data in place
    seconds: float


def boot_header() -> bytes:
    out = b""
    for name in MODULES:
        body = (RUNTIME / f"{name}.py").read_bytes()
        out += b"%d\n" % len(body) + body
    return out


def write_stream(out, req: dict, files: list[LocalFile], done=lambda f: None) -> None:
    out.write(boot_header())
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        body = json.dumps(req, sort_keys=True).encode()
        info = tarfile.TarInfo(REQUEST)
        info.size = len(body)
        tf.addfile(info, io.BytesIO(body))
        for f in files:
            info = tarfile.TarInfo(f.rel)
            info.size, info.mode = f.size, 0o644
            with open(f.path, "rb") as fh:
                tf.addfile(info, fh)
            done(f)


def run_step(prefix: list, step: str, root: str, dest: str, req: dict, files: list, done=lambda f: None,
             procs: list | None = None) -> dict:
    proc = subprocess.Popen([*prefix, step, "--root", root, "--dest", dest], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None  # PIPE above
    if procs is not None:
        procs.append(proc)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for t in readers:
        t.start()
    try:
        write_stream(proc.stdin, req, files, done)
        proc.stdin.close()
    except OSError:  # BrokenPipe: the receiver (or kubectl) stopped reading; its stderr says why
        pass
    rc = proc.wait()
    for t in readers:
        t.join(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    text = b"".join(err).decode("utf-8", "replace")
    if rc != 0:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        why = next((ln.split("error: ", 1)[1] for ln in reversed(lines) if "error: " in ln), lines[-1] if lines else "")
        raise PushError(f"{step} in the transfer pod failed (exit {rc}): {why}",
                        "run the same command again: verified files are kept and not sent again")
    try:
        return json.loads(b"".join(out).decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise PushError(f"{step} in the transfer pod gave no answer: {text.strip()[-300:]}") from None


def shares(files: list[LocalFile], n: int) -> list[list[LocalFile]]:
    """Largest first onto the lightest stream, so the streams end at about the same time."""
    bins: list[list] = [[0, []] for _ in range(max(1, min(n, len(files))))]
    for f in sorted(files, key=lambda f: (-f.size, f.rel)):
        lightest = min(bins, key=lambda b: b[0])
        lightest[0] += f.size
        lightest[1].append(f)
    return [sorted(b[1]) for b in bins if b[1]]


def transfer(spec: dict, files: list[LocalFile], prefix: list, root: str, dest: str, streams: int) -> Outcome:
    """Send files to DEST below the volume mounted at ROOT, through the receiver that `prefix` starts."""
    entries = [[f.rel, f.size, f.sha256] for f in files]
    base = {"spec": spec, "digest": nd.manifest_digest(entries)}
    started = time.monotonic()
    prep = run_step(prefix, "prepare", root, dest, {**base, "entries": entries}, [])
    if prep["state"] == "current":
        return Outcome(True, [], 0, 0, time.monotonic() - started)
    skip = set(prep["have"]) | set(prep["carry"])
    send = [f for f in files if f.rel not in skip]
    progress = Progress("pushing", len(send), sum(f.size for f in send))
    procs: list = []
    pool = ThreadPoolExecutor(max_workers=max(1, streams))
    try:
        jobs = [pool.submit(run_step, prefix, "part", root, dest,
                            {**base, "entries": [[f.rel, f.size, f.sha256] for f in share]}, share,
                            lambda f: progress.add(1, f.size), procs)
                for share in shares(send, streams)]
        for job in jobs:
            job.result()
    finally:
        for proc in procs:  # on an error or ^C, no stream goes on alone (before waiting for the threads)
            if proc.poll() is None:
                proc.kill()
        pool.shutdown(wait=True)
        progress.close()
    run_step(prefix, "commit", root, dest, {**base, "entries": entries}, [])
    return Outcome(False, send, len(prep["have"]), len(prep["carry"]), time.monotonic() - started)


def exec_prefix(kubectl: str, namespace: str, pod: str) -> list:
    return [kubectl, "exec", "-i", "-n", namespace, pod, "-c", CONTAINER, "--", "python3", "-c", BOOT]


def push(r, name: str, digests, opts) -> int:
    """digests(): the hashed files, called once the volume and kubectl are known to be there."""
    ds = r.datasets[name]
    rel, claim = ds.dest, ds.volume.claim
    pod = transfer_pod(r, name, secrets.token_hex(3), opts.deadline)
    pod_name, ns = pod["metadata"]["name"], r.namespace
    where = f"volume {ds.volume.name} (PVC {claim}) at {rel}, namespace {ns}"
    try:
        kubectl = kube.kubectl_path()
        prefix = exec_prefix(kubectl, ns, pod_name)
        if opts.dry_run:
            files = digests()
            print(f"would create this transfer pod and stream {count(len(files), 'file')} into {where}:")
            print(json.dumps(pod, indent=2, sort_keys=True))
            print(f"with {opts.streams} x: {shlex.join(prefix[:-1])} BOOT part --root {volume_mount(r, name)} "
                  f"--dest {rel}")
            return 0
        if kube.get_one(ns, "pvc", claim) is None:
            raise PushError(f"PVC {claim} does not exist in namespace {ns}",
                            "run `nautiform apply` first: it creates the volume")
        files = digests()
        kube.run("delete", "pod", "-n", ns, "-l", selector(r, name), "--ignore-not-found", "--wait=false")
        kube.run("create", "-f", "-", stdin=json.dumps(pod))
        print(f"{name}: transfer pod {pod_name} for {where}")
        try:
            _wait_running(ns, pod_name, opts.pod_timeout)
            out = transfer(runtime_spec(r.project, r.profile, name), files, prefix, volume_mount(r, name), rel, opts.streams)
        finally:
            kube.run("delete", "pod", pod_name, "-n", ns, "--ignore-not-found", "--wait=false", check=False)
    except kube.KubeError as exc:
        raise PushError(str(exc)) from None
    total = sum(f.size for f in files)
    if out.current:
        print(f"nothing to send: {where} already holds these {count(len(files), 'file')}")
    else:
        nsent = sum(f.size for f in out.sent)
        print(f"pushed {count(len(out.sent), 'file')}, {human(nsent)} in {out.seconds:.1f} s "
              f"({rate(nsent, out.seconds)}) over {opts.streams} streams; {out.kept:,} kept from an interrupted "
              f"push; {out.carried:,} unchanged; every file's sha256 checked in the pod")
        print(f"{where} is complete: {count(len(files), 'file')}, {human(total)}; transfer pod deleted")
    print(f"dataset {name} is ready for every workload that lists it (below its mount of volume {ds.volume.name}, "
          f"at {rel}; $DATASET_{name.upper().replace('-', '_')}); project.yaml needs no change")
    return 0


def _wait_running(ns: str, pod: str, timeout: int) -> None:
    deadline = time.monotonic() + timeout
    while True:
        body = kube.get_one(ns, "pod", pod) or {}
        status = body.get("status") or {}
        if status.get("phase") == "Running":
            return
        waiting = [(c.get("state") or {}).get("waiting") or {} for c in status.get("containerStatuses") or []]
        why = next((f"{w.get('reason')}: {w.get('message', '')}" for w in waiting if w.get("reason")), "")
        why = why or next((c.get("message", "") for c in status.get("conditions") or []
                           if c.get("type") == "PodScheduled" and c.get("status") == "False"), "")
        if status.get("phase") in ("Failed", "Succeeded") or time.monotonic() > deadline:
            raise PushError(f"transfer pod {pod} is not running after {timeout}s "
                            f"({status.get('phase', 'unknown')}{': ' + why if why else ''})",
                            "a ReadWriteOnce volume can be mounted on one node only: stop the pods using it")
        time.sleep(1)
