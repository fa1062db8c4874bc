"""Rule name-collision: two things that would get the same name, reported with both origins.

Kubernetes keeps one object per kind and name, one volume and one environment variable per
name in a pod; a second one silently replaces the first, or the API server refuses the whole
object. Object names are shortened with a hash when too long (build/names.py), so they are
valid DNS-1123 labels of at most 63 characters; what is left is names that meet:

- two objects of one kind with one name (e.g. shortened names that meet);
- a volume's `existing_claim` that is the name of a claim nautiform creates for another volume;
- one environment variable set twice in a pod: by `env` and `secret_env`, or by a sweep
  parameter (`lr` is exported as `LR` by the sweep launcher, over any `env: {LR: ...}`);
- two `secret_files` entries of one secret in a pod (one volume name, `secret-<secret>`);
- one environment variable set by `field_env` or `value_env` and another env setting, or `REPLICA`,
  `REPLICAS` set by hand in a job with `replicas`;
- two setup steps of one name (one init container per name).

Rule name-format: values the API server checks as names, which the file's types cannot
(pkg/apis/core/validation): a priority or storage class is a DNS-1123 subdomain, a secret key
a config key, a toleration key and a GPU resource qualified names, a region, GPU product or
toleration value a label value, and a toleration with `operator: Exists` takes no value.
Without this rule they compile and the cluster refuses the object at apply time.
"""
from __future__ import annotations

import re

from ..launcher import env_name
from ..errors import diag, dotted

CODE = "name-collision"
_HINT = "rename one of them"
_LABEL = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
FORMATS = {  # what: (pattern, longest, hint)
    "a DNS-1123 subdomain": (re.compile(f"^{_SUBDOMAIN}$"), 253, "lowercase letters, digits, '-' and '.'"),
    # IsConfigMapKey: also not '.' or '..' and not starting with '..' (found by the server property test)
    "a secret key": (re.compile(r"^(?!\.\.?$)(?!\.\.)[-._a-zA-Z0-9]+$"), 253,
                     "letters, digits, '-', '_' and '.', not '.' or '..' and not starting with '..'"),
    "a qualified name": (re.compile(f"^({_SUBDOMAIN}/)?{_LABEL}$"), 316, "[prefix/]name, e.g. nvidia.com/gpu"),
    "a label value": (re.compile(f"^({_LABEL})?$"), 63, "at most 63 letters, digits, '-', '_' and '.'"),
}


def check(r, manifests) -> list:
    out = _objects(manifests) + _claims(r)
    for name, vol in r.project.volumes.items():
        out += _format(("volumes", name, "storage_class"), vol.storage_class, "a DNS-1123 subdomain")
    for w in r.workloads:
        out += _env(w) + _secret_files(w) + _pod_formats(w) + _setup(w)
    return out


def _format(loc: tuple, value, what: str) -> list:
    pattern, longest, hint = FORMATS[what]
    if value is None or (len(value) <= longest and pattern.match(value)):
        return []
    return [diag("name-format", loc, f"{value!r} is not {what}, so the cluster would refuse the object",
                 f"use {hint}")]


def _pod_formats(w) -> list:
    pod, out = w.pod, []
    out += _format(w.at("priority_class"), pod.get("priority_class"), "a DNS-1123 subdomain")
    for name, ref in sorted((pod.get("secret_env") or {}).items()):
        out += _format(w.origin[f"secret_env.{name}"] + ("key",), ref.key, "a secret key")
    for i, region in enumerate(pod.get("region") or []):
        out += _format(w.at("region") + (i,), region, "a label value")
    gpu = pod.get("gpu")
    if gpu:
        out += _format(w.at("gpu") + ("resource",), gpu.resource, "a qualified name")
        for i, product in enumerate(gpu.products or []):
            out += _format(w.at("gpu") + ("products", i), product, "a label value")
    for i, tol in enumerate(pod.get("tolerations") or []):
        loc = w.at("tolerations") + (i,)
        out += _format(loc + ("key",), tol.key, "a qualified name") + _format(loc + ("value",), tol.value,
                                                                               "a label value")
        if tol.operator == "Exists" and tol.value:
            out.append(diag("name-format", loc + ("value",), "a toleration with operator Exists matches any "
                            "value and takes none; the cluster would refuse the object",
                            "remove `value`, or use operator: Equal"))
    return out


def _objects(manifests) -> list:
    out: list = []
    seen: dict = {}
    for m in manifests:
        key = (m.kind, m.name)
        if key in seen:
            out.append(diag(CODE, m.loc, f"{m.kind} {m.name!r} of {dotted(m.loc)} has the name of the one from "
                            f"{dotted(seen[key])}; one would replace the other", _HINT))
        else:
            seen[key] = m.loc
    return out


def _claims(r) -> list:
    created = {vol.claim: vol.name for vol in r.volumes.values() if vol.create}
    out = []
    for name, vol in r.project.volumes.items():
        other = created.get(vol.existing_claim)
        if other is not None:
            out.append(diag(CODE, ("volumes", name, "existing_claim"), f"existing claim {vol.existing_claim!r} "
                            f"is the claim nautiform creates for volumes.{other}; both volumes would share it",
                            f"mount volumes.{other} instead, or rename one of them"))
    return out


ENV_KINDS = ("env", "secret_env", "field_env", "value_env")


def _env(w) -> list:
    out = []
    sets = {kind: w.pod.get(kind) or {} for kind in ENV_KINDS}
    for i, first in enumerate(ENV_KINDS):
        for second in ENV_KINDS[i + 1:]:
            for name in sorted(set(sets[first]) & set(sets[second])):
                out.append(diag(CODE, w.origin[f"{second}.{name}"], f"environment variable {name} is set by both "
                                f"{dotted(w.origin[first + '.' + name])} and "
                                f"{dotted(w.origin[second + '.' + name])}", "keep one of them"))
    if getattr(w.spec, "replicas", None) and w.kind == "job":
        for kind, values in sets.items():
            for name in sorted({"REPLICA", "REPLICAS"} & set(values)):
                out.append(diag(CODE, w.origin[f"{kind}.{name}"], f"environment variable {name} is set by "
                                f"{dotted(w.origin[kind + '.' + name])} and by nautiform for `replicas`, which wins",
                                "rename yours"))
    sweep = getattr(w.spec, "sweep", None)
    if sweep is not None:
        for param in _params(sweep):
            name = env_name(param)
            for kind, values in sets.items():
                if name in values:
                    out.append(diag(CODE, w.origin[f"{kind}.{name}"], f"environment variable {name} is set by "
                                    f"{dotted(w.origin[kind + '.' + name])} and by the sweep parameter {param!r} "
                                    f"of {dotted(w.loc + ('sweep',))}, which wins", "rename one of them"))
            if name == "SWEEP_POINT":
                out.append(diag(CODE, w.loc + ("sweep",), f"sweep parameter {param!r} would be exported as "
                                "SWEEP_POINT, which the launcher sets to the point's index", "rename the parameter"))
    return out


def _params(sweep) -> list:
    if sweep.grid is not None:
        return list(sweep.grid)
    if sweep.points is not None:
        return list(dict.fromkeys(p for point in sweep.points for p in point))
    return list((sweep.random or sweep.search).params)


def _setup(w) -> list:
    out: list = []
    seen: dict = {}
    for s in w.setup:
        if s.container in seen:
            out.append(diag(CODE, s.loc + ("name",), f"setup steps {dotted(seen[s.container])} and {dotted(s.loc)} "
                            f"are both named {s.step.name!r}; a pod has one container per name", _HINT))
        else:
            seen[s.container] = s.loc
    return out


def _secret_files(w) -> list:
    out: list = []
    seen: dict = {}
    loc = w.at("secret_files")
    for i, files in enumerate(w.pod.get("secret_files") or []):
        if files.secret in seen:
            out.append(diag(CODE, loc + (i, "secret"), f"secret {files.secret!r} is mounted by both "
                            f"{dotted(loc + (seen[files.secret],))} and {dotted(loc + (i,))}; a pod has one "
                            "volume per secret", "mount it once, at one path"))
        else:
            seen[files.secret] = i
    return out
