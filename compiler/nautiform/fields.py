"""Value types of project.yaml with their own check and JSON Schema.

Each check returns the value to keep or raises `Invalid` with a hint, so every
mistake gives one clear message.
"""
from __future__ import annotations

import posixpath
import re
from typing import Any, Union

from . import quantity
from .records import Invalid, Value, show

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
SHA256 = re.compile(r"^(?!0{64}$)[0-9a-f]{64}$")  # all zeros is a placeholder, never a file's digest
_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _quantity(value: Any) -> Union[int, float, str]:
    try:
        q = quantity.parse(value)
    except quantity.QuantityError as exc:
        raise Invalid("quantity", str(exc), exc.hint) from None
    if q <= 0:
        raise Invalid("quantity", f"{value!r} must be greater than zero", "remove the field to request nothing")
    try:
        quantity.render(value)  # a number finer than 1m cannot be written (crashed the build; issue 6 fuzzing)
    except quantity.QuantityError as exc:
        raise Invalid("quantity", str(exc), exc.hint) from None
    return value


def _duration(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("duration", f"expected a duration such as 90s, 30m, 6h or 7d, got {value!r}")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        number, unit = m.groups()
        # past 12 digits it is out of range anyway, and int() refuses more than 4,300 (a crash, once)
        seconds = int(number) * _UNITS[unit] if len(number) <= 12 else 0
    else:
        raise Invalid("duration", f"expected a duration such as 90s, 30m, 6h or 7d, got {value!r}",
                   "write a whole number followed by s, m, h or d")
    if seconds <= 0 or seconds > 10 * 365 * 86400:
        raise Invalid("duration", f"duration {value!r} is out of range", "use between 1s and 3650d")
    return seconds


def _string(pattern: re.Pattern, what: str, hint: str, max_len: int, code: str = "name"):
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("type", f"expected {what}, got {show(value)}", "write it as text")
        if len(value) > max_len or not pattern.match(value):
            raise Invalid(code, f"{value!r} is not {what}", hint)
        return value
    return check


# The schema says what the checks above say where JSON Schema can: greater than zero (a string's number has
# a non-zero digit and no minus sign), at most 64 characters, a duration from 1 second. Not said: numbers
# finer than 1m (0.0001) and durations over 3650d, which need arithmetic (README, "the schema").
Quantity = Value(_quantity, {
    "type": ["string", "number"], "description": "Kubernetes quantity: 500m, 4, 16Gi", "exclusiveMinimum": 0,
    "maxLength": 64,
    "pattern": r"^\+?(?=[0-9.]*[1-9])(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$"})
Duration = Value(_duration, {"type": ["string", "integer"], "description": "seconds, or 90s / 30m / 6h / 7d",
                             "pattern": r"^0*[1-9]\d*[smhd]$", "minimum": 1, "maximum": 10 * 365 * 86400})
DnsLabel = Value(_string(
    DNS_LABEL, "a DNS-1123 label", "use lowercase letters, digits and '-', start and end with a letter or digit, "
    "at most 63 characters", 63), {"type": "string", "pattern": DNS_LABEL.pattern, "maxLength": 63})
LabelValue = Value(_string(
    LABEL_VALUE, "a valid label value", "use letters, digits, '-', '_' and '.', at most 63 characters", 63),
    {"type": "string", "pattern": LABEL_VALUE.pattern, "maxLength": 63})
EnvName = Value(_string(
    ENV_NAME, "an environment variable name", "use letters, digits and '_', not starting with a digit", 256),
    {"type": "string", "pattern": ENV_NAME.pattern})
ParamName = Value(_string(
    PARAM_NAME, "a sweep parameter name", "use lowercase letters, digits and '_' (it becomes {name} in the "
    "command and NAME in the environment)", 63), {"type": "string", "pattern": PARAM_NAME.pattern})
ValueName = Value(_string(
    PARAM_NAME, "a value name", "use lowercase letters, digits and '_', e.g. run_id (declared under `values`)", 63),
    {"type": "string", "pattern": PARAM_NAME.pattern})
_sha256_format = _string(SHA256, "a SHA-256 digest", "64 lowercase hex digits, as `sha256sum FILE` prints", 64,
                         "value")


def _sha256(value: Any) -> str:
    if isinstance(value, str) and value == "0" * 64:
        raise Invalid("value", "a SHA-256 of all zeros is a placeholder, not the file's digest",
                      "write the 64 hex digits `sha256sum FILE` prints")
    return _sha256_format(value)


Sha256 = Value(_sha256, {"type": "string", "pattern": SHA256.pattern})


def _abs_path(value: Any) -> str:
    # The API server accepts any mountPath; the container runtime then fails the pod at start.
    if not isinstance(value, str):
        raise Invalid("type", f"expected a path, got {show(value)}", "e.g. /data")
    if not value.startswith("/") or any(c in value for c in "\n\r\x00:"):
        raise Invalid("path", f"{value!r} is not an absolute path inside the container",
                   "start it with / and leave out ':' and line breaks, e.g. /data")
    if ".." in value.split("/"):
        raise Invalid("path", f"{value!r} must not contain '..'", "write the path without '..'")
    # /data, /data/, //data and /./data are one directory to the container runtime; written once, in one
    # form, so that two mounts at one place are seen as such (issue 12, item 1).
    path = "/" + posixpath.normpath(value).lstrip("/")
    if path == "/":
        raise Invalid("path", "a mount at / would hide the image's whole file system", "use a directory, e.g. /data")
    return path


AbsPath = Value(_abs_path, {"type": "string", "description": "absolute path in the container",
                            # starts with /, no ':' or line break or NUL, no '..' part, one part other than '.'
                            "pattern": r"^(?!.*(^|/)\.\.(/|$))(?=.*/(?!\.?(/|$)))/[^:\n\r\x00]*$"})


def _rel_path(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("type", f"expected a path, got {show(value)}", "e.g. datasets/imagenet")
    if value.startswith("/") or ".." in value.split("/"):
        raise Invalid("value", f"path {value!r} must be relative and stay inside", "e.g. datasets/imagenet")
    return value


def _repo_file(value: Any) -> str:
    hint = "a path relative to project.yaml, inside its folder, e.g. configs/train.yaml"
    if not isinstance(value, str):
        raise Invalid("type", f"expected a path, got {show(value)}", hint)
    if value.startswith("/") or ".." in value.split("/"):
        raise Invalid("value", f"path {value!r} must be relative to project.yaml and stay inside its folder", hint)
    return value


RelPath = Value(_rel_path, {"type": "string", "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))",
                            "description": "relative path that stays inside"})
RepoFile = Value(_repo_file, {"type": "string", "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))",
                              "description": "a file of the repository, relative to project.yaml"})
_OUTPUTS = re.compile(r"^(s3://|volume://).")


def _outputs_target(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("type", f"expected text, got {show(value)}", "e.g. s3://my-bucket/runs")
    if not _OUTPUTS.match(value):
        raise Invalid("value", f"outputs.to {value!r} must start with s3:// or volume://",
                      "e.g. s3://my-bucket/runs or volume://results/runs")
    return value


OutputsTarget = Value(_outputs_target, {"type": "string", "pattern": _OUTPUTS.pattern})
# name[:tag][@sha256:<64 hex>]; a digest that is all zeros or not hex (`@sha256:REPLACE_ME`) is a placeholder.
_IMAGE_REF = re.compile(r"^[^\s@]+(@sha256:(?!0{64}$)[0-9a-f]{64})?$")


def _image_ref(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("type", f"expected an image reference, got {show(value)}", "e.g. python:3.12-slim")
    if not _IMAGE_REF.match(value):
        from .lint.secrets import find  # only on this error path: `user:password@registry` is not a digest

        if find(value):  # lint's secret-literal refuses it as the credential it is, never echoing it
            return value
        if "@" in value:
            raise Invalid("value", "the image's digest is not a real sha256 digest",
                          "write @sha256: and the 64 hex digits `docker buildx imagetools inspect` prints, "
                          "or leave the digest out")
        raise Invalid("value", "this is not an image reference", "e.g. python:3.12-slim, without spaces")
    return value


ImageRef = Value(_image_ref, {"type": "string", "pattern": _IMAGE_REF.pattern})


def _command(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        if not value.strip():
            raise Invalid("command", "the command is empty")
        return ("/bin/sh", "-c", value)
    if isinstance(value, list) and value:
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise Invalid("command", f"command item {i} is {show(item)}, not text",
                           f'quote it: "{item}"' if isinstance(item, (int, float)) else "write it as text")
        return tuple(value)
    raise Invalid("command", f"expected a command (a list of arguments or one shell line), got {show(value)}",
               'e.g. [python, train.py, --epochs, "10"]')


Command = Value(_command, {"oneOf": [{"type": "string", "pattern": r"\S"},
                                     {"type": "array", "items": {"type": "string"}, "minItems": 1}],
                           "description": "argv list, or one line run by /bin/sh -c"})


def _param_value(value: Any):
    if isinstance(value, (bool, int, float, str)):
        if isinstance(value, str) and ("\n" in value or "\x00" in value):
            raise Invalid("value", "sweep values must be on one line", "remove the line break")
        if isinstance(value, float) and value != value:
            raise Invalid("value", "NaN is not a sweep value")
        return value
    raise Invalid("type", f"a sweep value must be text, a number or a boolean, got {show(value)}")


ParamValue = Value(_param_value, {"type": ["string", "number", "boolean"], "pattern": "^[^\n\x00]*$"})


def _env_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise Invalid("type", "environment values are text, got nothing (null)", 'write "" for an empty value')
    # The hint names the value as written in the file (validate.py puts the source text in): `1e-5` must
    # not come back as "1e-05".
    raise Invalid("type", f"environment values are text, got {show(value)}", "quote it: \"{source}\"")


EnvValue = Value(_env_value, {"type": "string"})


# ---- issue 14: labels, node labels, free-form Kubernetes patches ------------------------------------
_SUBDOMAIN_RE = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_NAME_RE = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
QUALIFIED = re.compile(f"^({_SUBDOMAIN_RE}/)?{_NAME_RE}$")
# nautiform's own labels and annotations say who owns an object and what a run is (owner.py, identity.py):
# a label written by hand there would take over another project's objects or fake a run's identity.
RESERVED_KEY = re.compile(r"^(nautiform\.io/|app\.kubernetes\.io/managed-by$)")


def _label_key(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("type", f"expected a label key, got {show(value)}", "e.g. lab.example.org/team")
    if len(value) > 317 or not QUALIFIED.match(value):
        raise Invalid("name", f"{value!r} is not a label key", "[prefix/]name: the name at most 63 letters, digits, "
                      "'-', '_' and '.'; the prefix a DNS subdomain, e.g. lab.example.org/team")
    if RESERVED_KEY.match(value):
        raise Invalid("name", f"{value!r} is nautiform's own key", "nautiform sets it (ownership and run identity); "
                      "choose another key")
    return value


_KEY_SCHEMA = {"type": "string", "maxLength": 317,
               "pattern": r"^(?!nautiform\.io/)(?!app\.kubernetes\.io/managed-by$)" + QUALIFIED.pattern[1:]}
LabelKey = Value(_label_key, dict(_KEY_SCHEMA))
NodeLabelKey = Value(_string(QUALIFIED, "a node label key", "[prefix/]name, e.g. nautilus.io/group", 317),
                     {"type": "string", "maxLength": 317, "pattern": QUALIFIED.pattern})


def _node_label_values(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise Invalid("length", "the list of values is empty", "write one value, or a list of the values allowed")
    for v in values:
        if not isinstance(v, str):
            raise Invalid("type", f"node label values are text, got {show(v)}", 'quote it, e.g. "8"')
        if len(v) > 63 or not LABEL_VALUE.match(v):
            raise Invalid("name", f"{v!r} is not a label value", "at most 63 letters, digits, '-', '_' and '.'")
    return tuple(values)


_VALUE_SCHEMA = {"type": "string", "pattern": LABEL_VALUE.pattern, "maxLength": 63}
NodeLabelValues = Value(_node_label_values, {"oneOf": [dict(_VALUE_SCHEMA), {"type": "array", "minItems": 1,
                                                                              "items": dict(_VALUE_SCHEMA)}],
                                             "description": "a value, or a list of values any of which will do"})


def _shm(value: Any):
    if value is True:
        return True
    if isinstance(value, bool):
        raise Invalid("value", "shm: false is the default (64Mi /dev/shm)", "remove it, or write a size or true")
    return _quantity(value)


Shm = Value(_shm, {"anyOf": [{"const": True}, Quantity.schema({})],
                   "description": "size of a memory-backed /dev/shm, or true: as large as the memory limit"})


def _patch(value: Any) -> dict:
    # Only the shape here: the Kubernetes schema and what a patch may not touch are lint's (lint/patches.py),
    # which knows where each part of the patch sits in project.yaml.
    if not isinstance(value, dict):
        raise Invalid("type", f"expected a mapping (part of a Kubernetes spec), got {show(value)}",
                      "write `key: value` pairs as in a PodSpec or Container")
    return value


Patch = Value(_patch, {"type": "object", "description": "a strategic-merge patch, checked against Kubernetes' "
                                                       "schema when compiling"})
Md5 = Value(_string(re.compile(r"^[0-9a-f]{32}$"), "an MD5 digest", "32 lowercase hex digits, as `md5sum FILE` "
                    "prints", 32, "value"), {"type": "string", "pattern": r"^[0-9a-f]{32}$"})
