"""Rule control-character: text that the API server cannot read back.

`kubectl apply --server-side` sends each object as an apply patch that the API server reads as YAML.
kubectl writes that patch as JSON, which escapes C0 controls (\u0013) but writes DEL, the C1 controls
and U+FFFE/U+FFFF as they are, and the server's YAML reader (go-yaml) refuses those raw: "yaml: control
characters are not allowed" (NEL, U+0085, it accepts). A value holding one (an env value, a command
argument, a sweep value) compiled and then failed at deploy time. Found by the server property test
(issue 12); measured on the local API server (tests/cluster/test_server_property.py).
"""
from __future__ import annotations

import re

from ..errors import diag
from .secrets import strings

_REFUSED = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


def check(r, manifests) -> list:
    out, seen = [], set()
    for loc, value, _ in strings(r.project):
        m = _REFUSED.search(value)
        if m and loc not in seen:
            seen.add(loc)
            out.append(diag("control-character", loc, f"this text holds the control character "
                            f"U+{ord(m.group()):04X}, which the API server's YAML reader refuses: the object "
                            "would compile and then fail to apply", "remove it (write a visible character, or "
                            "pass such bytes through a file or Secret)"))
    return out
