"""Content-addressed image tags: the same build inputs give the same tag on any machine.

The tag hashes every file of the build context (path, executable bit, bytes) in
sorted order plus the Dockerfile, skipping `.git`, the output directory and what
`.dockerignore` excludes. Timestamps, owners and the machine never enter it. In a
git work tree only files git would commit count (tracked, or untracked but not
ignored): CI builds from a fresh clone, so local junk must not change the tag.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

ALWAYS_SKIPPED = (".git",)


def context_digest(context: Path, dockerfile: Path, skip: tuple[Path, ...] = ()) -> str:
    from .gitrepo import committable_files

    patterns = _dockerignore(context)
    skip_abs = {p.resolve() for p in skip}
    h = hashlib.sha256()
    listed = committable_files(context)
    if listed is not None:
        skipped = [p.resolve().relative_to(context.resolve()).as_posix() for p in skip_abs
                   if p.is_relative_to(context.resolve())]
        files = [(rel, context / rel) for rel in listed if not _ignored(rel, patterns)
                 and not any(rel == s or rel.startswith(s + "/") for s in skipped)
                 and rel.split("/")[0] not in ALWAYS_SKIPPED]
    else:
        files = _walk(context, patterns, skip_abs)
    for rel, path in sorted(files):
        _add(h, rel, path)
    if not any(p.resolve() == dockerfile.resolve() for _, p in files):
        _add(h, "\0dockerfile", dockerfile)
    return "nf-" + h.hexdigest()[:12]


def _walk(context: Path, patterns: list[str], skip_abs: set) -> list[tuple[str, Path]]:
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
    return files


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
