"""Cluster profiles: the rules and names of one cluster, as data files in profiles/
(NAME.yaml is edited; NAME.json, derived from it, is what a compile reads)."""
from __future__ import annotations

import json
from collections import namedtuple
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

    def access_mode(self, storage_class: str | None) -> str | None:
        """The class's natural access mode, or None when the profile does not know the class (nothing is
        assumed about it: it was taken for block storage, issue 12 item 5)."""
        prefixes = self.data["storage"]["access_modes"]
        best = max((p for p in prefixes if storage_class and storage_class.startswith(p)), key=len, default=None)
        return prefixes[best] if best else None

    def s3_endpoint(self, where: str = "inside") -> str | None:
        """The S3 endpoint seen from `where`: "inside" the cluster (pods) or "outside" (a laptop)."""
        return (self.data.get("s3") or {}).get(where)

    def gpu_nodes(self) -> list[dict]:
        """One dict per known product: product, resource, memory (MiB), per_node, regions (a list, or None
        for any region). Empty for a profile without node shapes."""
        gpu = self.data["gpu"]
        defaults = gpu.get("node_defaults") or {}
        out = []
        for product, shape in (gpu.get("nodes") or {}).items():
            shape = {**defaults, **shape}
            regions = shape.get("regions")
            out.append({"product": product, "resource": gpu["special_resources"].get(product, gpu["resource"]),
                        "memory": shape.get("memory"), "per_node": shape.get("per_node"),
                        "regions": None if regions in (None, "any") else list(regions)})
        return out

    def gpu_resource(self, products: list[str] | None) -> str:
        special = self.data["gpu"]["special_resources"]
        names = {special.get(p, self.data["gpu"]["resource"]) for p in products or []}
        if len(names) == 1:
            return names.pop()
        return self.data["gpu"]["resource"]


def load_profile(name: str) -> Profile:
    """Read at the edge (pipeline.compile_file) and passed in: a fresh value per compile, so no stage can
    change what another compile sees (it was a cached shared dict)."""
    return Profile(name, json.loads((_DIR / f"{name}.json").read_text(encoding="utf-8")))


def profile_json(yaml_path: Path) -> str:
    """The JSON form of a profile, read at every compile. The YAML file, with its comments and sources,
    is what people edit; parsing it took ~5 ms of every compile (pure-Python ruamel.yaml) against
    ~0.1 ms for JSON (issue 7). `python -m nautiform.profile` rewrites the JSON files; a test checks
    they match their YAML."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(yaml_path.read_text(encoding="utf-8"))
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    for path in sorted(_DIR.glob("*.yaml")):
        path.with_suffix(".json").write_text(profile_json(path), encoding="utf-8")
        print(f"wrote {path.with_suffix('.json')}")
