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
SHA256 = re.compile(r"^[0-9a-f]{64}$")
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
    elif isinstance(value, str) and _DURATION.match(value):
        number, unit = _DURATION.match(value).groups()
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


Quantity = Value(_quantity, {
    "type": ["string", "number"], "description": "Kubernetes quantity: 500m, 4, 16Gi",
    "pattern": r"^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$"})
Duration = Value(_duration, {"type": ["string", "integer"], "description": "seconds, or 90s / 30m / 6h / 7d",
                             "pattern": r"^\d+[smhd]$"})
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
Sha256 = Value(_string(SHA256, "a SHA-256 digest", "64 lowercase hex digits, as `sha256sum FILE` prints", 64,
                               "value"),
               {"type": "string", "pattern": SHA256.pattern})


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


AbsPath = Value(_abs_path, {"type": "string", "pattern": "^/[^:\n\r]*[^/:\n\r]",
                            "description": "absolute path in the container"})


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


Command = Value(_command, {"oneOf": [{"type": "string", "minLength": 1},
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


ParamValue = Value(_param_value, {"type": ["string", "number", "boolean"]})


def _env_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise Invalid("type", f"environment values are text, got {show(value)}",
               f'quote it: "{str(value).lower() if isinstance(value, bool) else value}"')


EnvValue = Value(_env_value, {"type": "string"})
