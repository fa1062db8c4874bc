"""Rules for repository files mounted into pods (`files: {/path: repo/file}`, issue 14):

- file-missing: the file is not a regular file inside the project's folder (missing, a directory, or a
  link that leads out of it).
- file-size: larger than a ConfigMap holds (1 MiB, etcd's object limit, with its metadata).
- secret-literal: a file holding what looks like a credential. Its bytes are written into generated/ (a
  ConfigMap), so a key in a config file would be committed and readable by anyone who may read ConfigMaps.
  Only the masked form is shown.
"""
from __future__ import annotations

import re

from .. import repofiles
from ..errors import diag
from .secrets import CODE, find

_KEY = re.compile(r"^\s*[\"']?([A-Za-z_][\w.-]*)[\"']?\s*[:=]\s*[\"']?([^\s\"',]+)")


def check(r, manifests) -> list:
    out = []
    seen: set = set()
    for w in r.workloads:
        for target, rel in sorted((w.pod.get("files") or {}).items()):
            loc = w.at(f"files.{target}")
            if (loc, rel) in seen:
                continue
            seen.add((loc, rel))
            fc = r.files.get(rel)
            if fc is None:
                out.append(diag("file-missing", loc, f"{rel} is not a file in the project's folder",
                                "the path is relative to project.yaml and must stay inside its folder",
                                workload=w.name))
            elif fc.size > repofiles.LIMIT:
                out.append(diag("file-size", loc, f"{rel} is larger than a ConfigMap holds (1 MiB)",
                                "put big files in the image, the code checkout or a dataset", workload=w.name))
            elif fc.text is not None:
                found = _secret(fc.text)
                if found:
                    out.append(diag(CODE, loc, f"{rel} holds what looks like {found[0]} ({found[1]}); it would "
                                    "be written into generated/ and everything that reads it",
                                    "keep the credential in a Secret (`secret_files` or `secret_env`) and revoke "
                                    "it", workload=w.name))
    return out


def _secret(text: str):
    for line in text.splitlines():
        m = _KEY.match(line)
        found = find(line, m.group(1) if m else "")
        if not found and m:
            found = find(m.group(2), m.group(1))
        if found:
            return found
    return None
