"""Cluster profiles: the rules and names of one cluster, as data files in profiles/."""
from __future__ import annotations

from collections import namedtuple
from functools import lru_cache
from pathlib import Path

_DIR = Path(__file__).parent / "profiles"


class Profile(namedtuple("Profile", "name data")):  # a named tuple: no dataclass to build at start (issue 7)
    __slots__ = ()

    @property
    def rules(self) -> dict:
        return self.data.get("rules") or {}

    def rule(self, name: str, default=None):
        return self.rules.get(name, default)

    def storage_class(self, requested: str | None) -> str | None:
        return requested or self.data["storage"]["default_class"]

    def access_mode(self, storage_class: str | None) -> str:
        prefixes = self.data["storage"]["access_modes"]
        best = max((p for p in prefixes if storage_class and storage_class.startswith(p)), key=len, default=None)
        return prefixes[best] if best else "ReadWriteOnce"

    def s3_endpoint(self, where: str = "inside") -> str | None:
        """The S3 endpoint seen from `where`: "inside" the cluster (pods) or "outside" (a laptop)."""
        return (self.data.get("s3") or {}).get(where)

    def gpu_resource(self, products: list[str] | None) -> str:
        special = self.data["gpu"]["special_resources"]
        names = {special.get(p, self.data["gpu"]["resource"]) for p in products or []}
        if len(names) == 1:
            return names.pop()
        return self.data["gpu"]["resource"]


@lru_cache(maxsize=None)
def load_profile(name: str) -> Profile:
    return Profile(name, _read_yaml((_DIR / f"{name}.yaml").read_text(encoding="utf-8")))


def _read_yaml(text: str):
    """A profile's data. ruamel.yaml's C parser (ruamel.yaml.clibz) reads the nautilus profile in ~0.5 ms,
    the pure one in ~5 ms of every compile (issue 7). Profiles are our own files: the C parser's YAML 1.1
    syntax and its positions never matter here, and a test checks both give the same data. project.yaml
    itself is always read by the pure parser (load.py), whose positions and errors the diagnostics keep."""
    try:
        from ruamel.yaml.cyaml import CSafeLoader
    except ImportError:  # no C extension for this platform
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=True).load(text)
    loader = CSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
