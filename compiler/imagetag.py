"""Content-addressed image tags: the same build inputs give the same tag on any machine.

The tag hashes every file of the build context (path, executable bit, bytes) in
sorted order plus the Dockerfile, skipping `.git`, the output directory and what
`.dockerignore` excludes. Timestamps, owners and the machine never enter it.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

ALWAYS_SKIPPED = (".git",)


def context_digest(context: Path, dockerfile: Path, skip: tuple[Path, ...] = ()) -> str:
    patterns = _dockerignore(context)
    skip_abs = {p.resolve() for p in skip}
    h = hashlib.sha256()
    files = []
    for root, dirs, names in os.walk(context):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if d not in ALWAYS_SKIPPED and (root_path / d).resolve() not in skip_abs
                         and not _ignored(_rel(root_path / d, context), patterns))
        for name in names:
            path = root_path / name
            rel = _rel(path, context)
            if not _ignored(rel, patterns) and path.is_file():
                files.append((rel, path))
    files.sort()
    for rel, path in files:
        _add(h, rel, path)
    if not any(p.resolve() == dockerfile.resolve() for _, p in files):
        _add(h, "\0dockerfile", dockerfile)
    return "nf-" + h.hexdigest()[:12]


def _add(h, rel: str, path: Path) -> None:
    executable = "x" if os.access(path, os.X_OK) else "-"
    h.update(f"{rel}\0{executable}\0".encode())
    h.update(hashlib.sha256(path.read_bytes()).digest())


def _rel(path: Path, context: Path) -> str:
    return path.relative_to(context).as_posix()


def _dockerignore(context: Path) -> list[str]:
    file = context / ".dockerignore"
    if not file.is_file():
        return []
    lines = (line.strip() for line in file.read_text(encoding="utf-8").splitlines())
    return [line.rstrip("/").lstrip("/") for line in lines if line and not line.startswith("#")]


def _ignored(rel: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:  # later lines win, `!` re-includes, as in .dockerignore
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat + "/*") or rel.split("/")[0] == pat:
            ignored = not negate
    return ignored
