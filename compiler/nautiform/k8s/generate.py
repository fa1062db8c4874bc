"""Write k8s/pod.json: the Kubernetes OpenAPI definitions a `pod:` / `container:` patch is checked against.

Only PodSpec, Container and the definitions they reference (113 of ~1,000), descriptions dropped, from
the strict JSON Schemas that kubernetes-validate bundles (a test dependency of 100+ MB that a compile
must not need). The `x-kubernetes-patch-*` keys stay: they say how a strategic merge patch merges each
list (k8s/__init__.py reads them).

    .venv/bin/python -m nautiform.k8s.generate     # after raising VERSION; a test fails while stale
"""
from __future__ import annotations

import json
from pathlib import Path

VERSION = "1.36.0"  # the Kubernetes of the local control plane (tests/cluster) and of kubectl in the image
ROOTS = ("io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.Container")
OUT = Path(__file__).with_name("pod.json")


def definitions(version: str = VERSION) -> dict:
    import kubernetes_validate  # type: ignore[import-untyped]  # only here: the test extra has it, a compile never imports this module

    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}-local-strict"
    every = json.loads((folder / "_definitions.json").read_text())["$defs"]
    keep: dict = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = _clean(every[name])
        todo += sorted(_refs(every[name]))
    return {"kubernetes": version, "roots": list(ROOTS), "$defs": dict(sorted(keep.items()))}


def _refs(node) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                out.add(value.rsplit("/", 1)[-1])
            else:
                out |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            out |= _refs(value)
    return out


def _clean(node):
    if isinstance(node, dict):
        return {k: ("#/$defs/" + v.rsplit("/", 1)[-1] if k == "$ref" else _clean(v))
                for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def text() -> str:
    return json.dumps(definitions(), sort_keys=True, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
    print(f"wrote {OUT}")
