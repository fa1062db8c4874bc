"""Read a compiled tree back: the objects of generated/ (for plan and apply)."""
from __future__ import annotations

from collections import namedtuple


class Named:
    """Read access to a manifest body's identity; shared by built and read-back objects."""

    __slots__ = ()
    body: dict

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def name(self) -> str:
        return self.body["metadata"]["name"]


class Obj(namedtuple("Obj", "file body"), Named):  # a named tuple: no dataclass to build at start (issue 7)
    __slots__ = ()

    @property
    def namespace(self) -> str:
        return self.body["metadata"].get("namespace", "")

    @property
    def project(self) -> str:
        return self.body["metadata"].get("labels", {}).get("nautiform.io/project", "")

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


def parse_tree(files: dict[str, bytes]) -> list[Obj]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    out = []
    for name in sorted(files):
        if name == "kustomization.yaml" or not name.endswith(".yaml"):
            continue
        body = yaml.load(files[name].decode("utf-8"))
        if isinstance(body, dict) and "kind" in body:
            out.append(Obj(name, body))
    return out


def pvc_facts(body: dict) -> dict:
    spec = body.get("spec") or {}
    return {"storage": (spec.get("resources") or {}).get("requests", {}).get("storage"),
            "storageClassName": spec.get("storageClassName"), "accessModes": spec.get("accessModes")}
