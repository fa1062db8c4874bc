"""Stage 2, validate: plain data -> `Project`, or positioned diagnostics for every mistake."""
from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, UserError, dotted
from .fields import _show
from .load import Loaded
from .model import WORKLOAD_KINDS, Project

_CODES = {"missing": "missing", "extra_forbidden": "unknown-key", "literal_error": "value",
          "union_tag_invalid": "value", "union_tag_not_found": "missing"}


def validate(loaded: Loaded) -> Project:
    try:
        return Project.model_validate(loaded.data)
    except ValidationError as exc:
        raise UserError([_diagnostic(err, loaded) for err in exc.errors()]) from None


def _diagnostic(err: dict, loaded: Loaded) -> Diagnostic:
    loc = _real_loc(err["loc"], loaded.data)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    code = _CODES.get(kind, "type" if kind.endswith("_type") or kind == "type" else kind.split("_")[0])
    message, hint = err["msg"], ctx.get("hint", "")
    if kind == "extra_forbidden":
        name = loc[-1]
        allowed = _fields_at(loc[:-1], loaded.data)
        close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
        message = f"unknown key {name!r}"
        hint = (f"did you mean {close[0]!r}?" if close else
                f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it")
        return Diagnostic("unknown-key", message, dotted(loc), loaded.position(loc, key=True), hint,
                          file=loaded.file, loc=loc)
    if kind == "missing":
        message = f"required key {loc[-1]!r} is missing"
        hint = hint or _missing_hint(loc)
        return Diagnostic(code, message, dotted(loc), loaded.position(loc[:-1], key=True), hint,
                          file=loaded.file, loc=loc)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = loc + ("kind",)
        message = (f"unknown workload kind {ctx.get('tag')!r}" if kind == "union_tag_invalid"
                   else "a workload needs a `kind`")
        hint = "kind is one of: " + ", ".join(WORKLOAD_KINDS)
    elif kind == "string_pattern_mismatch":
        code, message = "value", f"{_show(_value_at(loc, loaded.data))} is not in the expected form"
        hint = "64 lowercase hex digits, as `sha256sum FILE` prints" if loc[-1] == "sha256" else \
            f"it must match {ctx.get('pattern')}"
    elif kind.endswith("_type") or kind in ("literal_error",):
        got = _value_at(loc, loaded.data)
        message = f"{_expected(kind, err)}, got {_show(got)}"
        hint = hint or _type_hint(kind, got)
    return Diagnostic(code, message, dotted(loc), loaded.position(loc), hint, file=loaded.file, loc=loc)


def _expected(kind: str, err: dict) -> str:
    simple = {"int_type": "expected an integer", "float_type": "expected a number", "bool_type":
              "expected true or false", "string_type": "expected text", "dict_type": "expected a mapping",
              "list_type": "expected a list", "model_type": "expected a mapping", "tuple_type": "expected a list",
              "model_attributes_type": "expected a mapping"}
    if kind == "literal_error":
        return f"expected {err['ctx']['expected']}"
    return simple.get(kind, err["msg"][0].lower() + err["msg"][1:])


def _type_hint(kind: str, got) -> str:
    if isinstance(got, str) and kind in ("int_type", "float_type"):
        return "remove the quotes"
    if kind in ("int_type", "float_type") and isinstance(got, bool):
        return "write a number"
    if kind in ("model_type", "dict_type", "model_attributes_type") and got is None:
        return "fill in the keys below it, or remove the empty key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "write `key: value` pairs indented under this key"
    if kind == "list_type":
        return "write a list: [a, b] or one '- item' per line"
    return ""


def _missing_hint(loc: tuple) -> str:
    examples = {"version": "add `version: 1` at the top", "name": "e.g. name: my-project",
                "namespace": "your NRP namespace, e.g. namespace: my-lab", "command":
                "e.g. command: [python, train.py]", "repository":
                "e.g. repository: gitlab-registry.nrp-nautilus.io/<group>/<project>"}
    return examples.get(str(loc[-1]), "add it")


def _real_loc(loc: tuple, data) -> tuple:
    """Drop the discriminated-union tag pydantic inserts (workloads.x.job.cpu -> workloads.x.cpu)."""
    out: list = []
    node = data
    for i, part in enumerate(loc):
        tagged = i == 2 and loc[0] == "workloads" and isinstance(node, dict)
        if tagged and part in WORKLOAD_KINDS and node.get("kind") == part:
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _value_at(loc: tuple, data):
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fields_at(loc: tuple, data) -> list[str]:
    """Names of the keys allowed at `loc` (for "did you mean")."""
    model: object = Project
    node = data
    for part in loc:
        node = node.get(part) if isinstance(node, dict) else None
        model = _child_type(model, part, node)
        if model is None:
            return []
    model = _unwrap(model, node)
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _child_type(model, part, node):
    model = _unwrap(model, node)
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = model.model_fields.get(part)
        return field.annotation if field else None
    args = typing.get_args(model)
    origin = typing.get_origin(model)
    if origin is dict and args:
        return args[1]
    if origin in (list, tuple) and args:
        return args[0]
    return None


def _unwrap(model, node):
    while True:
        origin = typing.get_origin(model)
        if origin is typing.Annotated:
            model = typing.get_args(model)[0]
        elif origin is typing.Union:
            args = [a for a in typing.get_args(model) if a is not type(None)]
            if len(args) > 1 and isinstance(node, dict) and node.get("kind") in WORKLOAD_KINDS:
                return WORKLOAD_KINDS[node["kind"]]
            model = args[0]
        else:
            return model
