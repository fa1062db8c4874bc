"""Who owns an object on the cluster: the ownership marks `apply` writes, and the repository identity.

A label says which project an object belongs to, but anyone can write a label: a colleague's
hand-made ConfigMap, a fork with the same `project.name`, a second student's "test". So `apply`
also writes annotations naming the repository (and project file) it deploys from, and acts only on
objects that carry its own marks. An object nautiform did not create is never changed, pruned or
adopted; apply refuses and prints the command that would adopt it on purpose.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

PROJECT_LABEL = "nautiform.io/project"
WORKLOAD_LABEL = "nautiform.io/workload"
MANAGED_BY = "app.kubernetes.io/managed-by"
REPO = "nautiform.io/repo"
PROJECT_FILE = "nautiform.io/project-file"
COMMIT = "nautiform.io/commit"
FIELD_MANAGER = "nautiform"


def repo_identity(cwd: Path | None = None) -> str:
    """The repository a deploy comes from, the same in CI and on a laptop: host/path of the git remote.

    NAUTIFORM_REPO overrides (a mirror that deploys for its origin). In GitLab CI the predefined
    CI_SERVER_HOST/CI_PROJECT_PATH; else the `origin` remote; else the work tree's absolute path."""
    explicit = os.environ.get("NAUTIFORM_REPO")
    if explicit:
        return explicit
    if os.environ.get("CI_SERVER_HOST") and os.environ.get("CI_PROJECT_PATH"):
        return f"{os.environ['CI_SERVER_HOST']}/{os.environ['CI_PROJECT_PATH']}".lower()
    url = _git(cwd, "remote", "get-url", "origin")
    if url:
        return normalize_remote(url)
    top = _git(cwd, "rev-parse", "--show-toplevel")
    return f"local:{top or Path(cwd or Path.cwd()).resolve()}"


def normalize_remote(url: str) -> str:
    """https://user:tok@host/a/b.git, ssh://git@host:22/a/b, git@host:a/b.git -> host/a/b (lower case)."""
    url = url.strip()
    m = re.match(r"^[\w.-]+@([^:/]+):(.+)$", url)  # scp-like ssh
    if m:
        host, path = m.groups()
    else:
        rest = re.sub(r"^[a-z+]+://", "", url)
        rest = rest.split("@", 1)[-1]
        host, _, path = rest.partition("/")
        host = host.split(":")[0]
    path = re.sub(r"\.git/?$", "", path.strip("/"))
    return f"{host}/{path}".lower()


def commit_id(cwd: Path | None = None) -> str:
    return os.environ.get("CI_COMMIT_SHA") or _git(cwd, "rev-parse", "HEAD") or "unknown"


def _git(cwd: Path | None, *args: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


# Kinds apply changes in place (a Deployment rolls its pods; a Service takes a new port): the digest of the declared object, written by
# apply as SPEC, is how the next apply tells a change (the live spec carries the API server's defaults).
MUTABLE_KINDS = ("Deployment", "Service")
SPEC = "nautiform.io/spec"


def digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def marks(repo: str, project_file: str) -> dict:
    return {REPO: repo, PROJECT_FILE: project_file}


def applied_by_nautiform(obj: dict) -> bool:
    """Objects an earlier nautiform applied before it wrote marks: its field manager applied them."""
    return any(m.get("manager") == FIELD_MANAGER and m.get("operation") == "Apply"
               for m in obj["metadata"].get("managedFields") or [])


def ownership(obj: dict, project: str, repo: str) -> str:
    """"ours" | "other-repo" | "other-project" | "unmarked" for a live object."""
    meta = obj["metadata"]
    labels, notes = meta.get("labels") or {}, meta.get("annotations") or {}
    if labels.get(PROJECT_LABEL) not in (None, project):
        return "other-project"
    owner = notes.get(REPO)
    if owner is not None:
        return "ours" if owner == repo and labels.get(PROJECT_LABEL) == project else "other-repo"
    if labels.get(PROJECT_LABEL) == project and applied_by_nautiform(obj):
        return "ours"  # applied by nautiform before ownership marks existed; the next apply marks it
    return "unmarked"


def is_top_level(obj: dict) -> bool:
    """A Job's pods (and anything else with an owner) belong to their owner, never to the project."""
    return not obj["metadata"].get("ownerReferences")


def adopt_command(kind: str, name: str, namespace: str, project: str, repo: str) -> str:
    return (f"kubectl -n {namespace} label {kind} {name} {PROJECT_LABEL}={project} {MANAGED_BY}=nautiform "
            f"--overwrite && kubectl -n {namespace} annotate {kind} {name} {REPO}={repo} --overwrite")
