"""What the API server checks beyond the OpenAPI schema (kubernetes-validate cannot see these):
name formats and lengths, unique names in lists, references that must resolve.

Sources: k8s.io/apimachinery validation (IsDNS1123Label, IsQualifiedName, IsValidLabelValue) and
pkg/apis/core/validation (validateVolumes, validateEnv, validateTolerations, ValidateConfigMap).
"""
from __future__ import annotations

import re

import kubernetes_validate
from ruamel.yaml import YAML

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
CONFIG_KEY = re.compile(r"^(?!\.\.?$)(?!\.\.)[-._a-zA-Z0-9]+$")  # IsConfigMapKey
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def documents(files: dict[str, bytes]) -> dict[str, dict]:
    yaml = YAML(typ="safe", pure=True)
    return {name: yaml.load(data.decode("utf-8")) for name, data in files.items() if name != "kustomization.yaml"}


def problems(files: dict[str, bytes]) -> list[str]:
    """Every reason the API server would refuse one of these objects (empty: all fine)."""
    out: list[str] = []
    names: dict[tuple, str] = {}
    for file, obj in documents(files).items():
        try:
            kubernetes_validate.validate(obj, "1.33", strict=True)
        except kubernetes_validate.ValidationError as exc:
            out.append(f"{file}: schema: {exc.message}")
        meta = obj["metadata"]
        name = meta["name"]
        if len(name) > 63 or not DNS_LABEL.match(name):
            out.append(f"{file}: name {name!r} is not a DNS-1123 label")
        key = (obj["kind"], meta.get("namespace"), name)
        if key in names:
            out.append(f"{file}: {obj['kind']} {name!r} also written by {names[key]}")
        names[key] = file
        for k, v in (meta.get("labels") or {}).items():
            if len(v) > 63 or not LABEL_VALUE.match(v):
                out.append(f"{file}: label {k}={v!r} is not a label value")
        if obj["kind"] == "PersistentVolumeClaim":
            cls = obj["spec"].get("storageClassName")
            if cls is not None and not SUBDOMAIN.match(cls):
                out.append(f"{file}: storageClassName {cls!r}")
        if obj["kind"] == "ConfigMap":
            out += [f"{file}: ConfigMap key {k!r}" for k in obj.get("data", {}) if not CONFIG_KEY.match(k)]
        spec = obj.get("spec", {})
        if obj["kind"] == "Job":
            if spec.get("completionMode") == "Indexed":
                longest = len(name) + 1 + len(str(spec["completions"] - 1))
                if longest > 63:
                    out.append(f"{file}: Indexed pod hostname would be {longest} characters")
            spec = spec["template"]["spec"]
        if obj["kind"] in ("Job", "Pod"):
            out += [f"{file}: {p}" for p in _pod(spec)]
    return out


def _pod(spec: dict) -> list[str]:
    out = []
    volumes = [v["name"] for v in spec.get("volumes", [])]
    out += [f"volume name {v!r}" for v in volumes if len(v) > 63 or not DNS_LABEL.match(v)]
    out += [f"duplicate volume {v!r}" for v in set(volumes) if volumes.count(v) > 1]
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        env = [e["name"] for e in c.get("env", [])]
        out += [f"env name {e!r}" for e in env if not ENV_NAME.match(e)]
        out += [f"duplicate env {e!r}" for e in set(env) if env.count(e) > 1]
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and not CONFIG_KEY.match(ref["key"]):
                out.append(f"secret key {ref['key']!r}")
        paths = [m["mountPath"] for m in c.get("volumeMounts", [])]
        out += [f"duplicate mountPath {p!r}" for p in set(paths) if paths.count(p) > 1]
        out += [f"mount of unknown volume {m['name']!r}" for m in c.get("volumeMounts", [])
                if m["name"] not in volumes]
    for t in spec.get("tolerations", []):
        if t.get("operator") == "Exists" and t.get("value"):
            out.append(f"toleration {t['key']!r}: operator Exists takes no value")
        if not QUALIFIED.match(t["key"]) or not LABEL_VALUE.match(t.get("value", "")):
            out.append(f"toleration {t['key']!r}={t.get('value')!r}")
    if "priorityClassName" in spec and not SUBDOMAIN.match(spec["priorityClassName"]):
        out.append(f"priorityClassName {spec['priorityClassName']!r}")
    for term in spec.get("affinity", {}).get("nodeAffinity", {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", []):
        for e in term["matchExpressions"]:
            out += [f"node selector value {v!r}" for v in e["values"] if len(v) > 63 or not LABEL_VALUE.match(v)]
    for c in spec.get("containers", []):
        for section in c.get("resources", {}).values():
            out += [f"resource name {k!r}" for k in section if not QUALIFIED.match(k)]
    return out
