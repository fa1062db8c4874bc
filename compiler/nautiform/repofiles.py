"""Repository files mounted into pods (`files: {/container/path: repo/path}`, issue 14).

The files are read at the edge (`read`, called by pipeline.compile_file) and passed in; `configmaps` turns
them into one immutable ConfigMap per file, named by its content, so a changed file renames only the runs
that mount it (their identity hashes their volumes).
"""
from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .names import digest, object_name

LIMIT = 1024 * 1024 - 4096  # a ConfigMap holds at most 1 MiB (etcd), its metadata included


class FileCM(namedtuple("FileCM", "rel name key text binary mode size stem")):
    """A repository file shipped as its own immutable ConfigMap `name` (named by its content, so only runs
    that mount it change when it does), under `key`; `text` or `binary` (base64) holds it; `mode` 0o555 for
    an executable file, else 0o444; `stem` its manifest's file name part."""

    __slots__ = ()


def configmaps(project_name: str, contents: Mapping) -> Mapping[str, FileCM]:
    """rel path -> FileCM for every repository file the workloads mount; `contents`: rel -> (bytes, executable)
    or None (missing: lint's file-missing)."""
    import base64
    import re

    out: dict = {}
    stems: dict[str, int] = {}
    slugs = {rel: re.sub(r"[^a-z0-9]+", "-", rel.lower()).strip("-")[:40].strip("-") or "file" for rel in contents}
    for slug in slugs.values():
        stems[slug] = stems.get(slug, 0) + 1
    for rel, found in sorted(contents.items()):
        if found is None:
            continue
        data, executable = found
        base = rel.rsplit("/", 1)[-1]
        key = base if re.match(r"^[-._a-zA-Z0-9]+$", base) and base not in (".", "..") and \
            not base.startswith("..") else "file"
        try:
            text, binary = data.decode("utf-8"), None
        except UnicodeDecodeError:
            text, binary = None, base64.b64encode(data).decode("ascii")
        slug = slugs[rel]
        stem = f"file-{slug}" if stems[slug] == 1 else f"file-{slug}-{digest(rel, 6)}"
        name = object_name(project_name, "file", slug, suffix=digest([key, text, binary, executable]))
        out[rel] = FileCM(rel, name, key, text, binary, 0o555 if executable else 0o444, len(data), stem)
    return MappingProxyType(out)


def referenced(project) -> list[str]:
    """Every repository path a workload (or the defaults) mounts."""
    out = set((project.defaults.files or {}).values())
    for w in project.workloads.values():
        out.update((w.files or {}).values())
    return sorted(out)


def read(project, base: Path) -> dict:
    """rel -> (bytes, executable) for every referenced file under `base`, or None when it is missing, not a
    file, or outside the project's folder (a symlink out of it)."""
    import os

    root = base.resolve()
    out: dict = {}
    for rel in referenced(project):
        path = (base / rel)
        try:
            real = path.resolve()
            if root != real and root not in real.parents or not real.is_file():
                out[rel] = None
                continue
            with open(real, "rb") as fh:  # a huge file is read no further than lint needs to refuse it
                out[rel] = (fh.read(LIMIT + 1), os.access(real, os.X_OK))
        except OSError:
            out[rel] = None
    return out
