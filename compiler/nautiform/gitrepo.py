"""The one module that talks to git: read generated/ at another commit (gitpython), and list the
files git would commit (the git CLI: one fast call, no gitpython import on the compile path)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    pass


def files_at(ref: str | None, folder: Path) -> tuple[str, dict[str, bytes]]:
    """(description of the base commit, {file name: bytes}) of `folder` at `ref` (default: merge base)."""
    import git

    try:
        repo = git.Repo(folder.resolve().parent if folder.exists() else Path.cwd(), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError("not inside a git repository") from None
    try:
        commit = repo.commit(ref) if ref else _merge_base(repo)
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise GitError(f"cannot resolve {ref or 'the merge base'}: {str(exc).splitlines()[0]}") from None
    if commit is None:
        return ("nothing (no base commit)", {})
    rel = Path(os.path.relpath(folder.resolve(), Path(str(repo.working_tree_dir)).resolve())).as_posix()
    try:
        tree = commit.tree / rel
    except KeyError:
        return (f"{commit.hexsha[:8]} (no {rel}/ there)", {})
    files = {blob.name: blob.data_stream.read() for blob in tree.blobs}
    return (f"{ref or 'merge base'} {commit.hexsha[:8]}", files)


def _merge_base(repo):
    sha = os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    if sha:
        return repo.commit(sha)
    branch = os.environ.get("CI_DEFAULT_BRANCH") or "main"
    for candidate in (f"origin/{branch}", branch):
        try:
            target = repo.commit(candidate)
        except Exception:  # noqa: BLE001 - gitpython raises several kinds for a missing ref
            continue
        if not repo.head.is_valid():
            return target
        bases = repo.merge_base(repo.head.commit, target)
        return bases[0] if bases else None
    return repo.head.commit if repo.head.is_valid() else None


def committable_files(folder: Path) -> list[str] | None:
    """Paths under `folder` (relative, sorted) that are tracked or not ignored: what a fresh clone
    would hold after the next commit. None when `folder` is not in a git work tree."""
    try:
        # Without --full-name, git prints paths relative to the directory it runs in (-C folder):
        # one process instead of a second one asking for the work tree's top (~3 ms each).
        proc = subprocess.run(["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others",
                               "--exclude-standard", "."], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    out = set()
    for raw in proc.stdout.split(b"\0"):
        if raw:
            rel = raw.decode("utf-8", "surrogateescape")
            if (folder / rel).is_file():
                out.add(rel)
    return sorted(out)
