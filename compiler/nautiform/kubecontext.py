"""The namespace of the current kubectl context, read from the kubeconfig files as kubectl merges them
(KUBECONFIG's files in order, the first to set a key wins; default ~/.kube/config). NRP hands every user a
config whose context names their namespace, so `init` starts from it. No kubectl is needed."""
from __future__ import annotations

import os
from pathlib import Path


def current_namespace(environ=os.environ) -> tuple[str, str] | None:
    """(namespace, context name), or None when no current context names a namespace."""
    from ruamel.yaml import YAML, YAMLError

    paths = [Path(p) for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p] or \
        [Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"]
    current, contexts = None, {}  # type: tuple[str | None, dict]
    for path in paths:
        try:
            doc = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except (OSError, YAMLError):  # a broken kubeconfig must not stop `init`
            continue
        if not isinstance(doc, dict):
            continue
        current = current or doc.get("current-context")
        for entry in doc.get("contexts") or []:
            if isinstance(entry, dict) and isinstance(entry.get("context"), dict):
                contexts.setdefault(entry.get("name"), entry["context"])
    namespace = (contexts.get(current) or {}).get("namespace") if current else None
    if isinstance(namespace, str) and namespace and isinstance(current, str):
        return namespace, current
    return None
