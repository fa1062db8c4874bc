"""`nautiform logs | exec | port-forward WORKLOAD`: reach a workload's pod by its project.yaml name.

Object names end in a spec hash (`cyclegan-dev-c3dda1b4`), so every kubectl command would need a
lookup first. These commands do the lookup (the newest run's pod; a sweep's pod by --point) and
then hand the terminal to kubectl itself (`os.execvp`), so streaming, TTYs and Ctrl-C behave
exactly as kubectl's do. `--print` shows the command instead of running it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from .. import kube, livestate
from ..podpoints import pod_point
from ..points import compact
from ..projectview import view_or_exit

SHELL = ["/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash || exec sh"]


class Unreachable(Exception):
    """No pod to reach; the message (error + hint) says why."""


def pick_pod(view, live, workload: str, point: int | None, running: bool = False) -> dict:
    kind = view.kinds()[workload]
    jobs, pods = live.of(workload)
    if point is not None and kind != "sweep":
        raise Unreachable(f"error: --point is for sweeps; {workload} is a {kind}")
    pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if kind == "sweep":
        numbered = [(pod_point(p, live.job_of(p), live.configmaps)[0], p) for p in pods]
        if point is None:
            have = sorted({n for n, _ in numbered if n is not None})
            if len(have) > 1:
                raise Unreachable(f"error: {workload} is a sweep with pods for points {compact(have)}\n"
                                  f"  hint: pass --point N (`nautiform status {workload}` lists the points)")
        else:
            pods = [p for n, p in numbered if n == point]
            if not pods:
                raise Unreachable(f"error: point {point} of {workload} has no pod now\n  hint: `nautiform status "
                                  f"{workload}` shows each point's state")
    if not pods:
        raise Unreachable(f"error: {workload} has no pod on the cluster now\n  hint: `nautiform status {workload}` "
                          "says why")
    newest_job = jobs[-1]["metadata"]["uid"] if jobs else None
    ranked = sorted(pods, key=lambda p: (any(r.get("uid") == newest_job for r in p["metadata"].get("ownerReferences")
                                             or []), (p.get("status") or {}).get("phase") == "Running",
                                         p["metadata"].get("creationTimestamp", "")))
    pod = ranked[-1]
    phase = (pod.get("status") or {}).get("phase")
    if running and phase != "Running":
        raise Unreachable(f"error: pod {pod['metadata']['name']} of {workload} is {phase}, not running\n"
                          f"  hint: `nautiform status {workload}` says why")
    return pod


def container_of(pod: dict, wanted: str | None) -> str:
    names = [c["name"] for c in (pod["spec"].get("containers") or []) + (pod["spec"].get("initContainers") or [])]
    if wanted:
        if wanted not in names:
            raise Unreachable(f"error: pod {pod['metadata']['name']} has no container {wanted!r}\n"
                              f"  hint: its containers: {', '.join(names)}")
        return wanted
    return "main" if "main" in names else names[0]


def _target(path: Path, workload: str, point: int | None, running: bool, container: str | None = None):
    """(namespace, pod name, container, kubectl) or an exit code after printing why not."""
    view = view_or_exit(path, workload)
    if view is None:
        return 1
    try:
        live = livestate.read(view, with_events=False)
        pod = pick_pod(view, live, workload, point, running)
        return view.namespace, pod["metadata"]["name"], container_of(pod, container), kube.kubectl_path()
    except kube.KubeError as exc:
        print(kube.explain(exc), file=sys.stderr)
    except Unreachable as exc:
        print(exc, file=sys.stderr)
    return 1


def _hand_over(argv: list[str], show: bool) -> int:
    if show:  # the kubectl found on PATH prints as `kubectl`: the command a user would type
        print(shlex.join((["kubectl"] if shutil.which("kubectl") == argv[0] else argv[:1]) + argv[1:]))
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(argv[0], argv)
    return 1  # not reached


def logs(path: Path, workload: str, point: int | None, follow: bool, previous: bool, tail: int | None,
         container: str | None, show: bool) -> int:
    found = _target(path, workload, point, False, container)
    if isinstance(found, int):
        return found
    namespace, pod, name, kubectl = found
    argv = [kubectl, "logs", "-n", namespace, pod, "-c", name] + ["-f"] * follow + ["--previous"] * previous
    return _hand_over(argv + ([f"--tail={tail}"] if tail is not None else []), show)


def exec_(path: Path, workload: str, point: int | None, command: tuple[str, ...], container: str | None,
          show: bool) -> int:
    found = _target(path, workload, point, True, container)
    if isinstance(found, int):
        return found
    namespace, pod, name, kubectl = found
    argv = [kubectl, "exec", "-n", namespace, "-i"] + ["-t"] * _tty() + [pod, "-c", name, "--", *(command or SHELL)]
    return _hand_over(argv, show)


def _tty() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def port_forward(path: Path, workload: str, port: str, point: int | None, address: str, show: bool) -> int:
    local, _, remote = port.partition(":")
    remote = remote or local
    if not all(p.isdigit() and 0 < int(p) < 65536 for p in (local, remote)):
        print(f"error: {port!r} is not a port\n  hint: PORT or LOCAL:REMOTE, e.g. 8888 or 9999:8888", file=sys.stderr)
        return 1
    found = _target(path, workload, point, True)
    if isinstance(found, int):
        return found
    namespace, pod, _, kubectl = found
    if not show:
        print(f"forwarding {address}:{local} to {workload} ({pod}) port {remote}; Ctrl-C stops", file=sys.stderr)
    return _hand_over([kubectl, "port-forward", "-n", namespace, f"pod/{pod}", f"{local}:{remote}",
                       f"--address={address}"], show)
