"""The transfer pod of `nautiform data push` for a `push` dataset (issue 18): a bare CPU pod that only
holds the dataset's volume while the laptop streams files into it with `kubectl exec -i`.

- least resources: half a core and 512Mi (requests = limits: Guaranteed, and within NRP's 20% rule);
  the work in the pod is untar and sha256, far faster than any uplink;
- a deadline (activeDeadlineSeconds), so a laptop that dies mid-push leaves nothing running for long;
- `sleep` as its main process: bare pods may sleep on NRP (the ban is on sleeping Jobs), and the
  deadline bounds it; the pod is deleted as soon as the push ends, whatever the outcome;
- labelled `nautiform.io/push=<project>` and `nautiform.io/dataset=<name>`, but NOT
  `nautiform.io/project`: `nautiform apply` prunes what carries that label and generated/ does not
  declare, and must not kill a push under way. The next push of the dataset deletes leftovers;
- the volume mounted where the data Job mounts it (`/mnt/VOLUME`); the exec'd receiver is told that
  mount and the dataset's path below it, and refuses to write unless the mount is there.
"""
from __future__ import annotations

from ..names import object_name
from ..resolve import Resolved

RESOURCES = {"cpu": "500m", "memory": "512Mi"}
CONTAINER = "receive"


def selector(r: Resolved, name: str) -> str:
    return f"nautiform.io/push={r.name},nautiform.io/dataset={name}"


def volume_mount(r: Resolved, name: str) -> str:
    return f"/mnt/{r.project.datasets[name].volume}"


def transfer_pod(r: Resolved, name: str, suffix: str, deadline: int) -> dict:
    ds = r.datasets[name]
    labels = {"app.kubernetes.io/managed-by": "nautiform", "nautiform.io/push": r.name, "nautiform.io/dataset": name}
    if r.project.project.owner:
        labels["nautiform.io/owner"] = r.project.project.owner
    mount = volume_mount(r, name)
    container = {"name": CONTAINER, "image": r.profile.data["images"]["data"], "command": ["sleep", str(deadline)],
                 "resources": {"requests": dict(RESOURCES), "limits": dict(RESOURCES)},
                 "volumeMounts": [{"name": "target", "mountPath": mount}]}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": object_name(r.name, "push", name, suffix=suffix), "namespace": r.namespace,
                         "labels": labels,
                         "annotations": {"nautiform.io/destination": f"{ds.volume.name}:{ds.dest}"}},
            "spec": {"restartPolicy": "Never", "activeDeadlineSeconds": deadline, "terminationGracePeriodSeconds": 5,
                     "containers": [container],
                     "volumes": [{"name": "target", "persistentVolumeClaim": {"claimName": ds.volume.claim}}]}}
