"""Upload a set of local files to s3://bucket/prefix/ with the tools the data runtime uses.

s5cmd and rclone get a folder of symbolic links to exactly the files to send (so names need no
quoting and nothing else is picked up), the credentials in their environment, and the part size
that pushfiles.py predicted ETags for. Both report each finished file as a JSON line (s5cmd
`--json` on stdout, rclone `--use-json-log -v` on stderr); those lines drive the progress.
Without either tool the runtime's stdlib client sends one PUT per file.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, NamedTuple

from .pushfiles import LocalFile, PushError
from .runtime import nautiform_data as nd
from .s3creds import Creds

SINGLE_PUT_MAX = 5 << 30  # S3's limit for one PUT


class Target(NamedTuple):
    bucket: str
    prefix: str  # "" or ending in "/"
    endpoint: str
    region: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def tool_env(target: Target, creds: Creds) -> dict:
    env = nd.tool_env(target.endpoint, target.region, anonymous=False)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(var, None)  # only the resolved keys, whatever else the shell holds
    env.update(creds.env())
    return env


def upload(tool: tuple, files: list[LocalFile], target: Target, creds: Creds, workers: int,
           part_mib: int, done: Callable[[LocalFile], None]) -> None:
    """tool: (name, path) from the runtime's pick_s3_tool."""
    name, path = tool
    if name == "builtin":
        return _builtin(files, target, creds, workers, done)
    send = tempfile.mkdtemp(prefix="nautiform-push-")
    try:
        for f in files:
            link = os.path.join(send, *f.rel.split("/"))
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(os.path.abspath(f.path), link)
        by_rel = {f.rel: f for f in files}
        env = tool_env(target, creds)
        if name == "s5cmd":
            argv = [path, "--json", "--endpoint-url", target.endpoint, "--numworkers", str(workers),
                    "--retry-count", "5", "cp", "--part-size", str(part_mib), f"{send}/*", target.url]
            _run(argv, env, creds, lambda line: _s5cmd_done(line, send, by_rel, done), None)
        else:
            argv = nd.rclone_argv(path, env, [
                "copy", send, f"nautiform:{target.bucket}/{target.prefix}".rstrip("/"), "--copy-links",
                "--no-check-dest", "--transfers", str(workers), "--checkers", str(workers),
                # one attempt: a retry of the whole copy would send every file again; the next
                # push resumes instead
                "--retries", "1", "--low-level-retries", "10",
                "--s3-upload-cutoff", f"{part_mib}Mi", "--s3-chunk-size", f"{part_mib}Mi",
                # rclone HEADs each multipart object afterwards; we verify from one listing
                "--s3-no-check-bucket", "--s3-no-head", "--use-json-log", "-v", "--stats", "0"])
            _run(argv, env, creds, None, lambda line: _rclone_done(line, by_rel, done))
    finally:
        shutil.rmtree(send, ignore_errors=True)


def _s5cmd_done(line: str, send: str, by_rel: dict, done) -> str | None:
    event = _json(line)
    if event.get("success") and event.get("operation") == "cp":
        rel = os.path.relpath(event.get("source", ""), send).replace(os.sep, "/")
        if rel in by_rel:
            done(by_rel[rel])
        return None
    return event.get("error") or line


def _rclone_done(line: str, by_rel: dict, done) -> str | None:
    event = _json(line)
    if event.get("level") == "info" and str(event.get("msg", "")).startswith("Copied"):
        f = by_rel.get(event.get("object"))
        if f:
            done(f)
        return None
    if event.get("level") == "error" or not event:
        return str(event.get("msg") or line).splitlines()[0]
    return None


def _json(line: str) -> dict:
    try:
        out = json.loads(line)
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def _run(argv: list, env: dict, creds: Creds, on_out, on_err) -> None:
    """Run a tool, feeding each output line to its parser; a parser returns a problem or None."""
    problems: list[str] = []

    def pump(stream, parse):
        for raw in stream:
            problem = parse(raw.rstrip("\n")) if parse else None
            if problem:
                problems.append(creds.redact(problem))

    linux = sys.platform.startswith("linux")
    try:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                preexec_fn=nd._die_with_parent if linux else None)
    except OSError as exc:
        raise PushError(f"cannot run {argv[0]}: {exc.strerror}") from None
    reader = threading.Thread(target=pump, args=(proc.stderr, on_err), daemon=True)
    reader.start()
    try:
        pump(proc.stdout, on_out)
        rc = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: the tool must not go on writing
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
    if rc != 0:
        tool = os.path.basename(argv[0])
        raise PushError(f"{tool} failed (exit {rc}): {problems[-1] if problems else 'no message'}",
                        "run the same command again: files already sent are not sent again")


def _builtin(files: list[LocalFile], target: Target, creds: Creds, workers: int, done) -> None:
    big = [f.rel for f in files if f.size > SINGLE_PUT_MAX]
    if big:
        raise PushError(f"{big[0]} is over 5 GiB, more than one PUT can carry",
                        "install s5cmd or rclone: they upload in parts")
    client = nd.S3(target.endpoint, (creds.key, creds.secret, creds.token), target.region)

    def one(f: LocalFile) -> None:
        client.put_file(target.bucket, target.prefix + f.rel, f.path)
        done(f)

    try:
        with ThreadPoolExecutor(max_workers=min(workers, 64)) as pool:
            list(pool.map(one, files))
    except (urllib.error.URLError, OSError) as exc:
        raise PushError(f"upload to {target.url} failed: {nd.s3_error_text(exc, target.bucket)}",
                        "run the same command again: files already sent are not sent again") from None
