"""nautiform push receiver: writes a pushed dataset onto a volume from tar streams on stdin.

Runs inside the short-lived transfer pod of ``nautiform data push`` (or locally in the tests), as
``python3 -c BOOT STEP --root MOUNT --dest PATH`` (PATH below the volume's MOUNT): BOOT (see ``nautiform.volpush``) reads this file and
nautiform_data.py from the head of stdin, so the pod needs nothing but python3 and the volume, and
always runs the same code as the laptop.  Standard library only.  The rest of stdin is a tar stream
whose first member, ``.nautiform-push/request.json``, holds the dataset's spec, the digest of the
whole push and the entries (path, size, sha256) this stream is about.

Steps (one ``kubectl exec`` each; ``part`` runs once per parallel stream):

* ``prepare``: is DEST already this push (marker: spec key and identity)?  Else make the work
  directory for it and say which files need not be sent: verified files of an interrupted
  attempt, and unchanged files of the data now in DEST.
* ``part``: write each file to ``NAME.nautiform-part`` while hashing it, check size and sha256
  against the request, then rename it; a file is only ever complete under its own name.
* ``commit``: every entry present (unchanged files are hard-linked from DEST and hashed again),
  the manifest written, the directory renamed into place, the marker last - exactly as a fetch
  does (nautiform_data._install), so ``wait`` in the workloads sees it as any other dataset.

Each step prints one JSON object on stdout; messages go to stderr.  Exit codes as
nautiform_data: 1 bad request, 3 verification failed, 4 stream broken.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sys
import tarfile

import nautiform_data as nd

REQUEST = ".nautiform-push/request.json"


def _lock(path: str, shared: bool):
    fh = open(path, "a+")
    if nd.fcntl is not None:  # parts share the work directory; prepare and commit own it
        nd.fcntl.flock(fh.fileno(), nd.fcntl.LOCK_SH if shared else nd.fcntl.LOCK_EX)
    return fh


def _request(tf) -> dict:
    first = tf.next()
    if first is None or first.name != REQUEST or not first.isfile():
        raise nd.DataError("the stream does not start with %s" % REQUEST)
    req = json.loads(tf.extractfile(first).read().decode("utf-8"))
    for e in req["entries"]:
        if not nd.safe_relpath(e[0]) or e[0] in (nd.MANIFEST, nd.MARKER):
            raise nd.DataError("refusing path %r" % (e[0],))
    return req


def _context(req: dict, dest: str) -> tuple:
    spec = nd.check_spec(req["spec"], dest)
    lay = nd._layout(spec)
    identity = "push:sha256=%s" % req["digest"]
    return spec, lay, nd.spec_key(spec), identity


def _current(lay: dict, key: str, identity: str) -> bool:
    marker = nd.read_marker(lay["dest"])
    return bool(marker and marker.get("spec_key") == key and marker.get("identity") == identity)


def _installed_entries(lay: dict, key: str) -> dict:
    """{path: (size, sha256)} of the pushed data now in DEST, if it is complete."""
    marker = nd.read_marker(lay["dest"])
    if not (marker and marker.get("spec_key") == key):
        return {}
    try:
        with open(os.path.join(lay["dest"], nd.MANIFEST), "rb") as fh:
            manifest = nd.parse_manifest(fh.read(), lay["dest"])
    except (OSError, nd.DataError):
        return {}
    return {e[0]: (e[1], e[2]) for e in manifest["entries"]} if manifest["state"] == "complete" else {}


def _stage_path(lay: dict, rel: str) -> str:
    return os.path.join(lay["work"], "stage", *rel.split("/"))


def prepare(req: dict, dest: str) -> dict:
    spec, lay, key, identity = _context(req, dest)
    if nd.manifest_digest(req["entries"]) != req["digest"]:
        raise nd.DataError("the request's entries do not match its digest", nd.EXIT_VERIFY)
    os.makedirs(os.path.dirname(lay["dest"]) or "/", exist_ok=True)
    with _lock(lay["lock"], shared=False):
        if _current(lay, key, identity):
            return {"state": "current"}
        tag = os.path.join(lay["work"], "identity")
        try:
            with open(tag) as fh:
                same = fh.read().strip() == identity
        except OSError:
            same = False
        if not same:
            nd._rm(lay["work"])
            os.makedirs(os.path.join(lay["work"], "stage"))
            with open(tag, "w") as fh:
                fh.write(identity + "\n")
        installed = _installed_entries(lay, key)
        have, carry = [], []
        for rel, size, sha in (e[:3] for e in req["entries"]):
            p = _stage_path(lay, rel)
            if os.path.isfile(p) and os.path.getsize(p) == size:
                have.append(rel)  # renamed only after its sha256 matched
            elif installed.get(rel) == (size, sha):
                carry.append(rel)
    return {"state": "partial", "have": have, "carry": carry}


def part(tf, req: dict, dest: str) -> dict:
    spec, lay, key, identity = _context(req, dest)
    want = {e[0]: e for e in req["entries"]}
    got, nbytes = 0, 0
    with _lock(lay["lock"], shared=True):
        try:
            with open(os.path.join(lay["work"], "identity")) as fh:
                if fh.read().strip() != identity:
                    raise OSError
        except OSError:
            raise nd.DataError("the work directory belongs to another push; run the push again")
        try:
            while True:
                member = tf.next()  # not `for member in tf`: that starts again at the request
                if member is None:
                    break
                e = want.get(member.name)
                if e is None or not member.isfile():
                    raise nd.DataError("unexpected member %r in the stream" % member.name, nd.EXIT_VERIFY)
                _receive_file(tf.extractfile(member), _stage_path(lay, member.name), e)
                got, nbytes = got + 1, nbytes + e[1]
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise nd.DataError("the stream broke after %d files: %s" % (got, exc), nd.EXIT_TRANSFER)
    if got != len(want):
        raise nd.DataError("the stream ended after %d of %d files" % (got, len(want)), nd.EXIT_TRANSFER)
    return {"received": got, "bytes": nbytes}


def _receive_file(src, target: str, entry: list) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    part_path = target + ".nautiform-part"
    h, n = hashlib.sha256(), 0
    try:
        with open(part_path, "wb") as out:
            while True:
                buf = src.read(nd.CHUNK)
                if not buf:
                    break
                h.update(buf)
                out.write(buf)
                n += len(buf)
    except BaseException:
        os.unlink(part_path)  # only whole, verified files stay in the work directory
        raise
    if n != entry[1] or h.hexdigest() != entry[2]:
        os.unlink(part_path)
        raise nd.DataError("%s arrived with %d bytes and sha256 %s; expected %d bytes, %s" % (
            entry[0], n, h.hexdigest(), entry[1], entry[2]), nd.EXIT_VERIFY)
    os.replace(part_path, target)


def commit(req: dict, dest: str) -> dict:
    spec, lay, key, identity = _context(req, dest)
    entries = req["entries"]
    if nd.manifest_digest(entries) != req["digest"]:
        raise nd.DataError("the request's entries do not match its digest", nd.EXIT_VERIFY)
    with _lock(lay["lock"], shared=False):
        if _current(lay, key, identity):
            return {"state": "current"}
        installed = _installed_entries(lay, key)
        carried, missing = [], []
        for rel, size, sha in (e[:3] for e in entries):
            p = _stage_path(lay, rel)
            if os.path.isfile(p) and os.path.getsize(p) == size:
                continue
            if installed.get(rel) == (size, sha):
                _link_or_copy(os.path.join(lay["dest"], *rel.split("/")), p)
                carried.append([rel, size, sha])
            else:
                missing.append(rel)
        if missing:
            raise nd.DataError("%d files never arrived: %s" % (len(missing), nd._first(missing)),
                               nd.EXIT_TRANSFER)
        nd.verify_sha256(os.path.join(lay["work"], "stage"), carried)  # DEST may have changed since
        stage = os.path.join(lay["work"], "stage")
        with open(os.path.join(stage, nd.MANIFEST), "wb") as fh:
            fh.write(nd.manifest_bytes([e[:3] for e in entries]))
        total = sum(e[1] for e in entries)
        marker = {"version": nd.MARKER_VERSION, "name": spec["name"], "spec_key": key,
                  "identity": identity, "source_type": "push", "files": len(entries), "bytes": total,
                  "completed_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "carried": len(carried)}
        nd._install(stage, lay, marker)
        nd._rm(lay["work"])
    nd.log("%s ready at %s: %d files, %d bytes" % (spec["name"], lay["dest"], len(entries), total))
    return {"state": "installed", "files": len(entries), "bytes": total, "carried": len(carried)}


def _link_or_copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # a filesystem without hard links
        shutil.copyfile(src, dst)


def enter(root: str) -> None:
    """Work from the volume's mount, whatever directory the exec started in: a dataset written
    anywhere else would vanish with the pod. NAUTIFORM_RECEIVE_ROOT names a stand-in folder
    (the tests: KWOK runs the exec on the host, where nothing is mounted)."""
    stand_in = os.environ.get("NAUTIFORM_RECEIVE_ROOT")
    where = stand_in or root
    if not os.path.isdir(where) or not (stand_in or os.path.ismount(where)):
        raise nd.DataError("the volume is not mounted at %s in this pod" % where)
    os.chdir(where)


def main(argv: list) -> int:
    if (len(argv) != 5 or argv[0] not in ("prepare", "part", "commit") or argv[1] != "--root"
            or argv[3] != "--dest" or os.path.isabs(argv[4])):
        nd.log("usage: prepare|part|commit --root MOUNT --dest PATH-BELOW-IT (a tar stream on stdin)")
        return 2
    step, root, dest = argv[0], argv[2], argv[4]
    try:
        enter(root)
        with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tf:
            req = _request(tf)
            if step == "part":
                out = part(tf, req, dest)
            else:
                out = (prepare if step == "prepare" else commit)(req, dest)
    except nd.DataError as exc:
        nd.log("error: %s" % exc)
        return exc.code
    except (tarfile.TarError, EOFError, ValueError, KeyError, TypeError, IndexError) as exc:
        nd.log("error: malformed push stream: %s" % exc)
        return nd.EXIT_TRANSFER
    print(json.dumps(out, sort_keys=True))
    return 0
