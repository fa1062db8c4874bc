"""The unit every builder returns and the emitter writes."""
from __future__ import annotations

from collections import namedtuple

from ..manifests import Named

# Install order: what others depend on first (helm's idea of a fixed kind order).
KIND_ORDER = ("PersistentVolumeClaim", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Service", "Pod", "Job",
              "Deployment")
FILE_PREFIX = {"PersistentVolumeClaim": "pvc", "ConfigMap": "configmap", "ServiceAccount": "serviceaccount",
               "Role": "role", "RoleBinding": "rolebinding", "Service": "service", "Pod": "pod", "Job": "job",
               "Deployment": "deployment"}


class Manifest(namedtuple("Manifest", "body loc stem"), Named):  # a named tuple: no dataclass to build at start
    """body: the object; loc: where in project.yaml it comes from; stem: stable file name part,
    the workload or volume name, never a hash."""

    __slots__ = ()

    @property
    def filename(self) -> str:
        return f"{FILE_PREFIX[self.kind]}-{self.stem}.yaml"

    def sort_key(self) -> tuple:
        return (KIND_ORDER.index(self.kind), self.filename)

