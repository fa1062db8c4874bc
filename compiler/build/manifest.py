"""The unit every builder returns and the emitter writes."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..manifests import Named

# Install order: what others depend on first (helm's idea of a fixed kind order).
KIND_ORDER = ("PersistentVolumeClaim", "ConfigMap", "Pod", "Job")
FILE_PREFIX = {"PersistentVolumeClaim": "pvc", "ConfigMap": "configmap", "Pod": "pod", "Job": "job"}


@dataclass(frozen=True)
class Manifest(Named):
    body: dict
    loc: tuple  # where in project.yaml it comes from
    stem: str  # stable file name part: the workload or volume name, never a hash

    @property
    def filename(self) -> str:
        return f"{FILE_PREFIX[self.kind]}-{self.stem}.yaml"

    def sort_key(self) -> tuple:
        return (KIND_ORDER.index(self.kind), self.filename)


def digest(value: object, length: int = 8) -> str:
    """Short content hash of any JSON-able value; key order and hash seed cannot change it."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
