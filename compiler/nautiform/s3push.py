"""Push local files to the S3 prefix a dataset reads from, so that nothing half-sent looks done.

1. list the prefix and read its manifest (runtime MANIFEST), if any;
2. plan: a file is already there when the object has its size and the ETag its bytes give
   (pushfiles.py), or the ETag and sha256 an earlier complete manifest recorded for it;
   objects that are not local files stop the push unless `delete`;
3. when anything is to change: the manifest says "pushing" BEFORE the first byte, so a fetch of
   an interrupted push refuses it (nautiform_data.check_manifest) instead of taking half;
4. upload (s3upload.py), list again, verify every size and every ETag that can be predicted;
5. the manifest says "complete", with each file's size, sha256 and ETag: LAST.

An unchanged push writes nothing at all: the prefix's listing, and so the identity a data Job
recorded in its marker, stays the same.
"""
from __future__ import annotations

import time
import urllib.error
from typing import Callable, NamedTuple

from .pushfiles import LocalFile, PushError
from .runtime import nautiform_data as nd
from .s3creds import Creds
from .s3upload import Target, upload


class Plan(NamedTuple):
    send: list  # LocalFile
    same: list  # LocalFile
    extra: list  # keys under the prefix that are not local files
    manifest: dict | None  # the prefix's manifest before the push
    objects: dict  # rel -> (size, etag) before the push


class Result(NamedTuple):
    sent: list
    same: list
    deleted: list
    seconds: float
    size_only: int  # objects whose ETag could not be predicted: verified by size


def _client(target: Target, creds: Creds):
    return nd.S3(target.endpoint, (creds.key, creds.secret, creds.token), target.region)


def _fail(what: str, exc: Exception, target: Target, creds: Creds) -> PushError:
    text = creds.redact(nd.s3_error_text(exc, target.bucket))
    if isinstance(exc, urllib.error.HTTPError) and exc.code == 403:
        text = text.split(" (check ")[0]  # the runtime's hint is about a pod's Secret; say where ours came from
        return PushError(f"{what} {target.url}: {text} with the credentials from {creds.origin}",
                         "use credentials with access to this bucket, or ask its owner for it")
    return PushError(f"{what} {target.url}: {text}", f"is {target.endpoint} the right endpoint? (--endpoint)")


def remote_state(target: Target, creds: Creds) -> tuple[dict, dict | None]:
    client = _client(target, creds)
    try:
        listing = client.list(target.bucket, target.prefix)
        objects = {k[len(target.prefix):]: (size, etag) for k, size, etag in listing if not k.endswith("/")}
        manifest = None
        if nd.MANIFEST in objects:
            with client.request("GET", target.bucket, target.prefix + nd.MANIFEST, timeout=120) as resp:
                body = resp.read()
            try:
                manifest = nd.parse_manifest(body, target.url)
            except nd.DataError:
                manifest = None  # not ours to trust: it is rewritten at the end
    except (urllib.error.URLError, OSError) as exc:
        raise _fail("cannot list", exc, target, creds) from None
    objects.pop(nd.MANIFEST, None)
    return objects, manifest


def make_plan(files: list[LocalFile], objects: dict, manifest: dict | None) -> Plan:
    recorded = {e[0]: e for e in (manifest or {}).get("entries", []) if len(e) > 3}
    send, same = [], []
    for f in files:
        size, etag = objects.get(f.rel, (None, None))
        old = recorded.get(f.rel)
        if size == f.size and (etag in f.etags or (old and old[2] == f.sha256 and old[3] == etag)):
            same.append(f)
        else:
            send.append(f)
    local = {f.rel for f in files}
    return Plan(send, same, sorted(rel for rel in objects if rel not in local), manifest, objects)


def etag_verdict(f: LocalFile, etag: str, recorded: str | None) -> str:
    """ok: the ETag proves the bytes; bad: it proves other bytes; size: it cannot tell."""
    if etag in f.etags or (recorded and etag == recorded):
        return "ok"
    if "-" not in etag:  # a single PUT's ETag is the MD5, which f.etags holds up to one part size
        return "bad" if any("-" not in e for e in f.etags) else "size"
    ours = [e for e in f.etags if "-" in e]
    if ours and ours[0].rsplit("-", 1)[1] == etag.rsplit("-", 1)[1]:
        return "bad"  # same parts as predicted, other bytes
    return "size"  # the tool chose another part size (e.g. rclone for a file over 10,000 parts)


def is_current(plan: Plan, files: list[LocalFile]) -> bool:
    """Nothing to send or delete, and the manifest already describes exactly this data."""
    m = plan.manifest
    if plan.send or plan.extra or not m or m["state"] != "complete":
        return False
    want = sorted([f.rel, f.size, f.sha256, plan.objects[f.rel][1]] for f in files)
    return sorted(m["entries"]) == want


def push(files: list[LocalFile], plan: Plan, target: Target, creds: Creds, tool: tuple, workers: int,
         part_mib: int, delete: bool, done: Callable[[LocalFile], None]) -> Result:
    """Called when the prefix is not current (is_current); the manifest is rewritten in any case."""
    if plan.extra and not delete:
        raise PushError(f"{target.url} holds {len(plan.extra)} object(s) that are not in the pushed "
                        f"files: {nd._first(plan.extra, 3)}",
                        "pass --delete to remove them (the fetched dataset would contain them), "
                        "or push to an empty prefix")
    client = _client(target, creds)
    started = time.monotonic()
    if plan.send or plan.extra:
        _put_manifest(client, target, creds, nd.manifest_bytes([], "pushing"))
        if plan.send:
            upload(tool, plan.send, target, creds, workers, part_mib, done)
    objects, _ = remote_state(target, creds)
    recorded = {e[0]: e[3] for e in (plan.manifest or {}).get("entries", []) if len(e) > 3}
    problems, size_only, entries = [], 0, []
    for f in files:
        size, etag = objects.get(f.rel, (None, ""))
        verdict = etag_verdict(f, etag, recorded.get(f.rel) if f in plan.same else None)
        if size is None:
            problems.append(f"{f.rel} is missing")
        elif size != f.size:
            problems.append(f"{f.rel} has {size} bytes, {f.size} were sent")
        elif verdict == "bad":
            problems.append(f"{f.rel} has ETag {etag}, which its bytes do not give")
        size_only += verdict == "size"
        entries.append([f.rel, f.size, f.sha256, etag])
    if problems:
        raise PushError(f"verification failed for {target.url}: {nd._first(problems, 3)}",
                        "run the same command again; the prefix stays marked incomplete until it passes")
    deleted = []
    for rel in plan.extra if delete else ():
        try:
            client.request("DELETE", target.bucket, target.prefix + rel).close()
        except (urllib.error.URLError, OSError) as exc:
            raise _fail("cannot delete from", exc, target, creds) from None
        deleted.append(rel)
    _put_manifest(client, target, creds, nd.manifest_bytes(entries))
    return Result(plan.send, plan.same, deleted, time.monotonic() - started, size_only)


def _put_manifest(client, target: Target, creds: Creds, body: bytes) -> None:
    try:
        client.request("PUT", target.bucket, target.prefix + nd.MANIFEST, data=body,
                       extra={"content-length": str(len(body)), "content-type": "application/json"}).close()
    except (urllib.error.URLError, OSError) as exc:
        raise _fail("cannot write to", exc, target, creds) from None
