"""Why a pod or Job is not progressing, in plain words, with the setting to change.

Pure: live objects (and the pod's events) in, a `Problem` or None out. The kubelet's and
controllers' reasons are the evidence (OOMKilled, Evicted, ImagePullBackOff, CrashLoopBackOff,
DeadlineExceeded, DisruptionTarget, Unschedulable, BackoffLimitExceeded, FailedCreate); each becomes
what happened, in this project's terms, and which `project.yaml` setting decides it. Scheduling
failures are decoded against the nodes (scheduling.py), fetched only when a pod needs it.
"""
from __future__ import annotations

import math

from . import quantity, scheduling
from .problems import Problem

MAIN = "main"
PULL = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull")


def statuses(pod: dict, init: bool = False) -> list[dict]:
    return (pod.get("status") or {}).get("initContainerStatuses" if init else "containerStatuses") or []


def container(pod: dict, name: str) -> dict:
    spec = pod.get("spec") or {}
    return next((c for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if c["name"] == name), {})


def limit(pod: dict, name: str, resource: str) -> str:
    res = container(pod, name).get("resources") or {}
    return str((res.get("limits") or {}).get(resource) or (res.get("requests") or {}).get(resource) or "")


def condition(obj: dict, ctype: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or []
                 if c.get("type") == ctype and c.get("status") == "True"), None)


def pod_problem(pod: dict, events: list[dict], inventory=None, claims: dict | None = None) -> Problem | None:
    """`inventory`: a callable returning inventory.Inventory (or None if nodes cannot be listed);
    `claims`: live PVCs by name."""
    status = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp") or status.get("phase") == "Succeeded":
        return None
    if status.get("reason") == "Evicted":
        return _evicted(pod, status.get("message") or "")
    if status.get("reason") == "DeadlineExceeded":
        return _deadline(pod.get("spec", {}).get("activeDeadlineSeconds"), "pod")
    preempted = condition(pod, "DisruptionTarget")
    if preempted:
        return _preempted(preempted)
    for c in statuses(pod, init=True) + statuses(pod):
        found = _container(pod, c)
        if found:
            return found
    scheduled: dict = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
    if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        message = _latest(events, "FailedScheduling") or scheduled.get("message", "")
        return _unbound(pod, message, claims or {}) or scheduling.decode(
            pod["spec"], message, inventory() if inventory else None)
    mount = _latest(events, "FailedMount") or _latest(events, "FailedAttachVolume")
    if mount and status.get("phase") == "Pending":
        return Problem("volume", "volume not mounted", f"a volume cannot be mounted: {mount}", ("mounts",),
                       "on NRP a CephFS mount failing on one node is usually that node: `nautiform stop` and "
                       "`nautiform rerun` starts it elsewhere")
    return None


def _container(pod: dict, c: dict) -> Problem | None:
    state, last = c.get("state") or {}, c.get("lastState") or {}
    waiting, term = state.get("waiting") or {}, state.get("terminated") or {}
    reason = waiting.get("reason", "")
    if reason in PULL:
        return _image(pod, c.get("image") or container(pod, c["name"]).get("image", ""), waiting.get("message", ""))
    if reason == "CreateContainerConfigError":
        return Problem("config", "cannot start", f"container {c['name']} cannot start: {waiting.get('message', '')}",
                       ("secret_env",), "create the missing Secret or key in the namespace (kubectl create secret)")
    previous = last.get("terminated") or {}
    if term.get("reason") == "OOMKilled" or (previous.get("reason") == "OOMKilled" and c.get("restartCount")):
        return _oom(pod, c["name"])
    if reason == "CrashLoopBackOff":
        code = previous.get("exitCode", "?")
        return Problem("crash-loop", "crash loop", f"container {c['name']} keeps exiting (code {code}, restarted "
                       f"{c.get('restartCount', 0)} times)" + (f": {previous['reason']}" if previous.get("reason")
                                                                 not in (None, "Error") else ""),
                       ("command",), "`nautiform logs WORKLOAD --previous` shows the last run's output")
    if term and term.get("exitCode", 0) != 0 and c["name"] == MAIN:
        return Problem("exit-code", f"exit code {term['exitCode']}", f"the command exited with code "
                       f"{term['exitCode']}" + (f" ({term['reason']})" if term.get("reason") not in (None, "Error")
                                                 else ""), ("command",), "`nautiform logs WORKLOAD` shows its output")
    if term and term.get("exitCode", 0) != 0:
        return Problem("init-failed", f"{c['name']} failed", f"init container {c['name']} exited with code "
                       f"{term['exitCode']}: {term.get('message') or term.get('reason', '')}".rstrip(": "),
                       _init_setting(c["name"]), f"`nautiform logs WORKLOAD --container {c['name']}` shows why")
    return None


def _init_setting(name: str) -> tuple:
    if name == "checkout":
        return ("code",)
    return ("datasets",)


def _image(pod: dict, image: str, message: str) -> Problem:
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    lowered = message.lower()
    if any(s in lowered for s in ("unauthorized", "authentication required", "denied", "forbidden")):
        return Problem("image-pull", "image pull refused", f"the registry refused to serve {image}: {message}",
                       None, "a private image needs image.pull_secret (a docker-registry Secret with a deploy "
                       "token)", top=("image", "pull_secret"))
    if tag.startswith("nf-"):
        return Problem("image-pull", "image not found", f"tag {tag} not in the registry: did the build stage run? "
                       f"({image})", None, "the pipeline's build job pushes it; `nautiform image "
                       "--check-registry` asks the registry", top=("image", "build"))
    return Problem("image-pull", "image not pulled", f"{image} cannot be pulled" + (f": {message}" if message else ""),
                   None, "check the image name and tag", top=("image",))


def _oom(pod: dict, name: str) -> Problem:
    mem = limit(pod, name, "memory")
    suggestion = ""
    if mem:
        try:
            more = quantity.parse(mem) * 3 / 2
        except quantity.QuantityError:
            more = None
        if more is not None:  # half as much again, rounded up to a whole Gi (or 32Mi below 1Gi)
            suggestion = f", e.g. to {math.ceil(more / 2**30)}Gi" if more > 2**30 else \
                f", e.g. to {math.ceil(more / 2**25) * 32}Mi"
    res = container(pod, name).get("resources") or {}
    setting = ("limits", "memory") if (res.get("limits") or {}).get("memory") != (res.get("requests") or {}).get(
        "memory") else ("memory",)
    return Problem("oom-killed", "OOMKilled", f"container {name} reached its memory limit {mem or '(none)'} and was "
                   "killed", setting, f"raise it{suggestion} (shared memory /dev/shm counts too)")


def _evicted(pod: dict, message: str) -> Problem:
    if "EmptyDir volume \"scratch\"" in message:
        return Problem("evicted", "evicted: scratch full", f"evicted: wrote more to scratch than its size allows "
                       f"({message.strip()})", ("scratch", "size"), "raise scratch.size or clean up as you go")
    if "ephemeral" in message.lower():
        eph = limit(pod, MAIN, "ephemeral-storage")
        return Problem("evicted", "evicted: disk limit", f"evicted: used more local disk than its ephemeral-storage "
                       f"limit {eph or '(none)'} ({message.strip()})", ("ephemeral_storage",),
                       "raise ephemeral_storage, or write large files to a volume or scratch")
    if "memory" in message.lower():
        return Problem("evicted", "evicted: node memory", f"evicted: the node ran low on memory ({message.strip()})",
                       ("memory",), "request what the program really uses, so the node is not overcommitted")
    return Problem("evicted", "evicted", f"evicted: {message.strip() or 'by the node'}", None,
                   "a Job starts a new pod; `nautiform rerun` starts a finished one again")


def duration(seconds) -> str:
    seconds = int(seconds or 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _deadline(seconds, what: str) -> Problem:
    hint = ("NRP stops interactive pods after 6h: the next apply starts a fresh one; long work belongs in a job"
            if what == "pod" else "raise deadline if the work needs longer, or make it checkpoint and resume")
    return Problem("deadline-exceeded", "deadline exceeded", f"stopped at its deadline ({duration(seconds)}, "
                   "activeDeadlineSeconds)", ("deadline",), hint)


def _preempted(cond: dict) -> Problem:
    reason = cond.get("reason", "")
    words = {"PreemptionByScheduler": "preempted by a higher-priority pod",
             "EvictionByEvictionAPI": "evicted (the node is being drained)",
             "DeletionByTaintManager": "removed: its node got a NoExecute taint"}.get(reason, f"disrupted ({reason})")
    return Problem("preempted", "preempted", f"{words}: {cond.get('message', '')}".rstrip(": "), ("priority_class",),
                   "a Job starts it again without using a retry; opportunistic pods can be preempted any time: "
                   "checkpoint often")


def _unbound(pod: dict, message: str, claims: dict) -> Problem | None:
    names = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"].get("volumes") or []
             if "persistentVolumeClaim" in v]
    pending = [n for n in names if (claims.get(n) or {}).get("status", {}).get("phase") != "Bound"]
    if not pending and "unbound" not in message.lower() and "persistentvolumeclaim" not in message.lower():
        return None
    if not pending:
        return None
    name = pending[0]
    claim = claims.get(name)
    if claim is None:
        return Problem("pvc", "volume missing", f"its volume claim {name} does not exist", None,
                       "`nautiform apply` creates the project's volumes; an existing_claim must exist already",
                       top=("claim", name))
    spec = claim.get("spec") or {}
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "?")
    return Problem("pvc", "volume not bound", f"its volume claim {name} is {claim.get('status', {}).get('phase', '?')}"
                   f" ({size}, class {spec.get('storageClassName') or 'default'}): no volume was provisioned for it",
                   None, "check the storage class and size; `kubectl describe pvc` shows the provisioner's events",
                   top=("claim", name))


def _latest(events: list[dict], reason: str) -> str:
    found = [e for e in events if e.get("reason") == reason]
    return found[-1].get("message", "") if found else ""


def job_problem(job: dict, events: list[dict]) -> Problem | None:
    spec, failed = job.get("spec") or {}, condition(job, "Failed")
    if failed:
        reason = failed.get("reason", "")
        if reason == "DeadlineExceeded":
            return _deadline(spec.get("activeDeadlineSeconds"), "job")
        if reason == "BackoffLimitExceeded":
            return Problem("backoff-limit", "retries used up", f"failed {(job.get('status') or {}).get('failed', 0)} "
                           f"time(s); backoff_limit is {spec.get('backoffLimit', 6)}", ("backoff_limit",),
                           "fix the cause shown for its pods, then `nautiform rerun WORKLOAD`")
        if reason == "FailedIndexes":
            return Problem("failed-points", "points failed", f"points failed: {(job.get('status') or {}).get('failedIndexes', '?')}",
                           ("backoff_limit_per_index",), "fix the cause shown for its pods, then `nautiform rerun`")
        return Problem("failed", "failed", f"{reason}: {failed.get('message', '')}".rstrip(": "), None, "")
    create = _latest(events, "FailedCreate")
    if create and not (job.get("status") or {}).get("active"):
        setting = ("priority_class",) if "priority" in create else ("gpu",)
        return Problem("cannot-create", "pods refused", f"the cluster refuses its pods: {create}", setting,
                       "`nautiform gpus` dry-runs each workload against the cluster's admission rules")
    return None
