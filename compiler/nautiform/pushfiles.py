"""The local side of `nautiform data push`: which files PATH holds, and their checksums.

Each file is read once for three digests: its sha256 (what the push manifest records and the
cluster verifies), its MD5, and the MD5 of every part. From the last two comes the ETag S3 gives
the object: a single PUT's ETag is the MD5, a multipart upload's is the MD5 of the parts' MD5s
plus "-N". Because the tools are told the part size, a re-push can tell from a listing which
objects already hold these bytes, without downloading them; a wrong guess only costs a re-upload.
"""
from __future__ import annotations

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, NamedTuple

from .runtime.nautiform_data import MANIFEST, MARKER

CHUNK = 1 << 20


class PushError(Exception):
    """A push that cannot go on: one line for the user, and a hint."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class LocalFile(NamedTuple):
    rel: str  # posix path under the push root: the key below the prefix, the path below DEST
    path: str
    size: int
    sha256: str = ""
    etags: frozenset = frozenset()


def scan(root: Path) -> list[LocalFile]:
    """Every file under root (or root itself), sorted; symlinks to files are followed."""
    if root.is_file():
        return [LocalFile(root.name, str(root), root.stat().st_size)]
    if not root.is_dir():
        raise PushError(f"{root} is neither a file nor a folder")
    out = []
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for name in sorted(names):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if rel == MARKER:  # PATH is a fetched dataset: its marker is not data
                continue
            if rel == MANIFEST:
                raise PushError(f"{full}: {MANIFEST} is the name nautiform gives the push manifest",
                                "rename or remove that file")
            try:
                st = os.stat(full)
            except OSError as exc:
                raise PushError(f"cannot read {full}: {exc.strerror}") from None
            if not stat.S_ISREG(st.st_mode):
                raise PushError(f"{full} is not a regular file", "push regular files only")
            out.append(LocalFile(rel, full, st.st_size))
    if not out:
        raise PushError(f"{root} holds no files")
    return out


def multipart_etag(part_md5s: list[bytes]) -> str:
    return f"{hashlib.md5(b''.join(part_md5s)).hexdigest()}-{len(part_md5s)}"


def digest(f: LocalFile, part_size: int) -> LocalFile:
    sha, part, parts, in_part = hashlib.sha256(), hashlib.md5(), [], 0
    try:
        with open(f.path, "rb") as fh:
            while True:
                buf = fh.read(min(CHUNK, part_size - in_part))
                if not buf:
                    break
                sha.update(buf)
                part.update(buf)
                in_part += len(buf)
                if in_part == part_size:
                    parts.append(part.digest())
                    part, in_part = hashlib.md5(), 0
    except OSError as exc:
        raise PushError(f"cannot read {f.path}: {exc.strerror}") from None
    if in_part or not parts:
        parts.append(part.digest())
    # A file of one part has its MD5 as its only part's: no second MD5 pass over big files.
    # s5cmd puts up to one part size in a single PUT; rclone switches to multipart AT its cutoff,
    # so a file of exactly one part may carry either ETag.
    etags = set()
    if f.size <= part_size:
        etags.add(parts[0].hex())
    if f.size >= part_size:
        etags.add(multipart_etag(parts))
    return f._replace(sha256=sha.hexdigest(), etags=frozenset(etags))


def hash_all(files: list[LocalFile], part_size: int, workers: int,
             done: Callable[[LocalFile], None] = lambda f: None) -> list[LocalFile]:
    """hashlib releases the GIL on large buffers, so threads read and hash files side by side."""
    def one(f: LocalFile) -> LocalFile:
        out = digest(f, part_size)
        done(out)
        return out

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, files))
