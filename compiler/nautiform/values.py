"""Submit-time values (`values:` in project.yaml, issue 14): filled by `apply`, never written to generated/.

generated/ holds the values' ConfigMap with each default and, in an annotation, the declaration. At apply
time each value comes from, first to last: `--value NAME=TEXT`, the variable NAUTIFORM_VALUE_<NAME>, the
variable the declaration names in `from_env` (e.g. CI_PIPELINE_ID in GitLab CI), the default. The
ConfigMap's name never changes, and pods read it through configMapKeyRef: a new value reaches the pods
started after it and never renames (restarts) a run.
"""
from __future__ import annotations

import json
import re

DECLARATION = "nautiform.io/values"


def env_name(value: str) -> str:
    return "NAUTIFORM_VALUE_" + re.sub(r"[^A-Za-z0-9]", "_", value).upper()


def fill(body: dict, given: dict[str, str], environ) -> tuple[dict, list[str]]:
    """(the ConfigMap with its values, the errors: required values nothing gave). Other objects pass as they are."""
    raw = (body.get("metadata", {}).get("annotations") or {}).get(DECLARATION)
    if body.get("kind") != "ConfigMap" or raw is None:
        return body, []
    data, missing = dict(body.get("data") or {}), []
    for name, decl in sorted(json.loads(raw).items()):
        sources = [given.get(name), environ.get(env_name(name))]
        if decl.get("from_env"):
            sources.append(environ.get(decl["from_env"]))
        value = next((s for s in sources if s is not None), data.get(name))
        if value is None:
            where = " or ".join([f"--value {name}=...", env_name(name)] +
                                ([decl["from_env"]] if decl.get("from_env") else []))
            missing.append(f"value {name!r} has no default and was not given\n  hint: give it with {where}")
        else:
            data[name] = value
    return {**body, "data": data}, missing


def parse(pairs: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """`--value NAME=TEXT` options: (values, errors)."""
    out, errors = {}, []
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            errors.append(f"--value {pair!r} is not NAME=TEXT\n  hint: e.g. --value wandb_sweep=abc123")
        else:
            out[name] = text
    return out, errors
