"""Kubernetes' own schema for the escape hatch (issue 14): a workload's `pod:` and `container:` patches
are checked against PodSpec and Container (pod.json, written by `python -m nautiform.k8s.generate`) and
merged into what nautiform built the way `kubectl patch --type strategic` merges: mappings key by key,
`null` removes a key, lists with a patch merge key (containers and volumes by `name`, volumeMounts by
`mountPath`, ports by `containerPort`, env by `name` ...) item by item, every other list replaced.

Loaded only when a project has a patch: jsonschema and 48 KB of JSON are not on a plain compile's path.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

POD = "io.k8s.api.core.v1.PodSpec"
CONTAINER = "io.k8s.api.core.v1.Container"
_CACHE: dict = {}


def _defs() -> dict:
    if "defs" not in _CACHE:  # read once per process; the data never changes
        _CACHE["defs"] = json.loads((Path(__file__).with_name("pod.json")).read_text(encoding="utf-8"))["$defs"]
    return _CACHE["defs"]


def _node(schema: dict | None) -> dict:
    """`schema` with its $ref followed (and oneOf/anyOf left as they are)."""
    while schema and "$ref" in schema:
        schema = _defs()[schema["$ref"].rsplit("/", 1)[-1]]
    return schema or {}


def _child(schema: dict, key: str) -> dict:
    props = schema.get("properties") or {}
    if key in props:
        return _node(props[key])
    extra = schema.get("additionalProperties")
    return _node(extra) if isinstance(extra, dict) else {}


def problems(patch: dict, root: str) -> list[tuple[tuple, str, str, bool]]:
    """(path in the patch, message, hint, at the key) for everything Kubernetes' schema refuses. A patch is
    partial: the root's own required keys (a PodSpec's `containers`, a Container's `name`) are not asked
    for; inside it, what Kubernetes requires is (a volume's `name`, a toleration's fields)."""
    import difflib

    import jsonschema  # type: ignore[import-untyped]

    defs = _defs()
    root_schema = {k: v for k, v in defs[root].items() if k != "required"}
    validator = jsonschema.Draft202012Validator({**root_schema, "$defs": defs})
    out = []
    for error in validator.iter_errors(patch):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list((error.schema.get("properties") or {}))
            for key in sorted(k for k in error.instance if k not in known):
                close = difflib.get_close_matches(key, known, 1, 0.6)
                out.append((path + (key,), f"unknown key {key!r} in a Kubernetes {_what(root, path)}",
                            f"did you mean {close[0]!r}?" if close else "see `kubectl explain pod.spec`", True))
        else:
            out.append((path, f"Kubernetes refuses this: {_short(error.message)}", "", False))
    return out


def _what(root: str, path: tuple) -> str:
    return ("Container" if root == CONTAINER else "PodSpec") + (f" (at {'.'.join(map(str, path))})" if path else "")


def _short(message: str) -> str:
    return message if len(message) <= 160 else message[:157] + "..."


def merge(base: dict, patch: dict, root: str) -> dict:
    """`base` (not changed) with `patch` merged in as a strategic merge patch."""
    out = copy.deepcopy(base)
    _merge(out, patch, _node({"$ref": root}))
    return out


def _merge(base: dict, patch: dict, schema: dict) -> None:
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
            continue
        sub = _child(schema, key)
        have = base.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            _merge(have, value, sub)
        elif isinstance(value, list) and isinstance(have, list) and "merge" in sub.get("x-kubernetes-patch-strategy", ""):
            merge_key = sub.get("x-kubernetes-patch-merge-key")
            items = _node(sub.get("items"))
            for item in value:
                match = next((b for b in have if isinstance(b, dict) and isinstance(item, dict) and merge_key
                              and b.get(merge_key) == item.get(merge_key)), None)
                if match is not None:
                    _merge(match, item, items)
                elif merge_key or item not in have:
                    have.append(copy.deepcopy(item))
        else:
            base[key] = copy.deepcopy(value)


def patch_merge_key(root: str, path: tuple) -> str | None:
    """The merge key of the list at `path` under `root` (e.g. ("volumes",) -> "name"), or None."""
    schema = _node({"$ref": root})
    for part in path:
        schema = _child(schema, part) if isinstance(part, str) else _node(schema.get("items"))
    return schema.get("x-kubernetes-patch-merge-key")
