"""http(s) sources: checksum, idempotency, atomic replacement, resume after kill, unpack."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tarfile
import time
import zipfile

import pytest

from datahelpers import base_env, run_script, script_argv, sha256, tree, write_spec

pytestmark = pytest.mark.data


def http_spec(srv, path, data, dest, **extra):
    spec = {"name": "ds", "dest": str(dest),
            "source": {"type": "http", "url": srv.url(path), "sha256": sha256(data)}}
    spec.update(extra)
    return spec


def test_checksum_ok_fetches_file_and_writes_marker(http_server, tmp_path):
    data = os.urandom(300_000)
    http_server.files["/files/weights.bin"] = data
    dest = tmp_path / "datasets" / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/files/weights.bin", data, dest)))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"weights.bin": data}
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["identity"] == "http:%s#sha256=%s" % (http_server.url("/files/weights.bin"), sha256(data))
    assert marker["files"] == 1 and marker["bytes"] == len(data)
    # nothing left beside the destination but the lock file
    assert sorted(p.name for p in dest.parent.iterdir()) == [".ds.nautiform.lock", "ds"]


def test_checksum_mismatch_leaves_destination_untouched(http_server, tmp_path):
    good = b"version one\n" * 1000
    http_server.files["/v1.txt"] = good
    dest = tmp_path / "ds"
    assert run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/v1.txt", good, dest))).returncode == 0
    before = (dest / ".nautiform-data.json").read_bytes()

    # v2 is declared with the sha256 of something else: the download must be rejected
    http_server.files["/v2.txt"] = b"tampered\n" * 1000
    bad = http_spec(http_server, "/v2.txt", b"what we expected\n", dest)
    res = run_script("fetch", write_spec(tmp_path, bad, "bad.json"))
    assert res.returncode == 3
    assert "sha256 mismatch" in res.stderr
    assert tree(dest) == {"v1.txt": good}
    assert (dest / ".nautiform-data.json").read_bytes() == before
    assert not (tmp_path / ".ds.nautiform-work").exists()

    # and with no earlier data nothing appears at all
    fresh = tmp_path / "fresh"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/v2.txt", b"x", fresh), "f.json"))
    assert res.returncode == 3
    assert not fresh.exists()


def test_rerun_skips_without_any_request(http_server, tmp_path):
    data = b"abc" * 5000
    http_server.files["/a.bin"] = data
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, http_spec(http_server, "/a.bin", data, dest))
    assert run_script("fetch", spec).returncode == 0
    assert http_server.count("/a.bin") == 1
    inode = (dest / "a.bin").stat().st_ino
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert "up to date" in res.stderr
    assert json.loads(res.stdout)["skipped"] is True
    assert http_server.count("/a.bin") == 1
    assert (dest / "a.bin").stat().st_ino == inode
    # --force fetches again
    assert run_script("fetch", spec, "--force").returncode == 0
    assert http_server.count("/a.bin") == 2


def test_changed_source_refetches_and_replaces(http_server, tmp_path):
    old, new = b"old contents", b"new contents, longer"
    http_server.files["/data-1.csv"] = old
    http_server.files["/data-2.csv"] = new
    dest = tmp_path / "ds"
    assert run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/data-1.csv", old, dest))).returncode == 0
    assert tree(dest) == {"data-1.csv": old}
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/data-2.csv", new, dest)))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"data-2.csv": new}  # the old file is gone, not merged
    assert http_server.count("/data-2.csv") == 1
    # a changed unpack setting is a changed spec too
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["identity"].endswith(sha256(new))


def test_kill_halfway_then_rerun_resumes_and_never_exposes_partial_data(http_server, tmp_path):
    v1 = b"complete old version\n"
    http_server.files["/v1"] = v1
    big = os.urandom(6 * 1024 * 1024)
    http_server.files["/big.bin"] = big
    dest = tmp_path / "ds"
    assert run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/v1", v1, dest), "v1.json")).returncode == 0

    http_server.delay = 0.02  # ~3 MiB/s: the 6 MiB download takes about 2 s
    spec2 = write_spec(tmp_path, http_spec(http_server, "/big.bin", big, dest), "v2.json")
    proc = subprocess.Popen(script_argv("fetch", spec2), env=base_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = tmp_path / ".ds.nautiform-work" / "download.part"
    deadline = time.time() + 30
    while not (part.exists() and part.stat().st_size > 1024 * 1024):
        assert proc.poll() is None, "fetch ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = part.stat().st_size
    assert 0 < killed_at < len(big)

    # the destination still holds the complete old version, and wait does not accept it for v2
    assert tree(dest) == {"v1": v1}
    res = run_script("wait", spec2, "--timeout", "0.3", "--interval", "0.1")
    assert res.returncode == 5

    http_server.delay = 0
    res = run_script("fetch", spec2)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert tree(dest) == {"big.bin": big}
    ranges = [r["range"] for r in http_server.requests if r["path"] == "/big.bin"]
    assert ranges[0] is None and ranges[-1] is not None
    assert int(ranges[-1].split("=")[1].rstrip("-")) >= killed_at
    assert not (tmp_path / ".ds.nautiform-work").exists()
    assert run_script("wait", spec2, "--timeout", "1").returncode == 0


def test_resume_restarts_when_server_ignores_range(http_server, tmp_path):
    data = os.urandom(200_000)
    http_server.files["/f"] = data
    http_server.ranges = False
    dest = tmp_path / "ds"
    work = tmp_path / ".ds.nautiform-work"
    spec = http_spec(http_server, "/f", data, dest)
    p = write_spec(tmp_path, spec)
    # a leftover partial file from an earlier run with the same identity, holding garbage
    import hashlib
    from importlib import util
    mod_spec = util.spec_from_file_location("nd", str(__import__("datahelpers").SCRIPT))
    nd = util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(nd)
    full = nd.check_spec(spec)
    ident = hashlib.sha256((nd.spec_key(full) + nd.resolve_http(full)).encode()).hexdigest()
    work.mkdir()
    (work / "identity").write_text(ident + "\n")
    (work / "download.part").write_bytes(b"garbage" * 100)
    res = run_script("fetch", p)
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"f": data}


def _tar(mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data, perm in (("top.txt", b"top\n", 0o644), ("sub/dir/deep.txt", b"deep\n", 0o644),
                                 ("bin/run.sh", b"#!/bin/sh\necho hi\n", 0o755)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = perm
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("top.txt", b"top\n")
        zf.writestr("sub/dir/deep.txt", b"deep\n")
        info = zipfile.ZipInfo("bin/run.sh")
        info.external_attr = (0o100755 << 16)
        zf.writestr(info, b"#!/bin/sh\necho hi\n")
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_unpack_archives(http_server, tmp_path, kind):
    data = {"tar": lambda: _tar("w"), "tar.gz": lambda: _tar("w:gz"), "zip": _zip}[kind]()
    http_server.files["/archive." + kind] = data
    dest = tmp_path / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/archive." + kind, data, dest,
                                                             unpack=kind)))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"top.txt": b"top\n", "sub/dir/deep.txt": b"deep\n",
                          "bin/run.sh": b"#!/bin/sh\necho hi\n"}
    assert os.access(dest / "bin" / "run.sh", os.X_OK)


def test_unpack_refuses_paths_outside_destination(http_server, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"evil"))
    data = buf.getvalue()
    http_server.files["/evil.tar"] = data
    dest = tmp_path / "sub" / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/evil.tar", data, dest, unpack="tar")))
    assert res.returncode == 3
    assert "cannot unpack" in res.stderr
    assert not dest.exists()
    assert not list(tmp_path.rglob("escaped.txt"))


def test_corrupt_archive_is_rejected(http_server, tmp_path):
    data = b"this is not a gzip file"
    http_server.files["/x.tar.gz"] = data
    dest = tmp_path / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/x.tar.gz", data, dest, unpack="tar.gz")))
    assert res.returncode == 3
    assert not dest.exists()


def test_http_error_is_reported(http_server, tmp_path):
    dest = tmp_path / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/missing", b"x", dest)))
    assert res.returncode == 4
    assert "HTTP 404" in res.stderr
    assert not dest.exists()


def test_in_place_destination_replaces_entries_and_keeps_marker_last(http_server, tmp_path):
    """A PVC mounted at dest cannot be renamed: entries are moved in, marker last."""
    dest = tmp_path / "mnt"
    dest.mkdir()
    (dest / "stale.txt").write_text("from before")
    a, b = b"first", b"second"
    http_server.files["/a"] = a
    http_server.files["/b"] = b
    assert run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/a", a, dest, in_place=True))).returncode == 0
    files = tree(dest)
    assert files.pop(".nautiform.lock") == b""
    assert files == {"a": a}  # stale.txt from before is gone
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/b", b, dest, in_place=True)))
    assert res.returncode == 0, res.stderr
    files = tree(dest)
    files.pop(".nautiform.lock", None)
    assert files == {"b": b}
    assert not (dest / ".nautiform-work").exists()


def test_python_api_with_dest_override(http_server, tmp_path, monkeypatch):
    """The compiler imports the module for `nautiform data fetch NAME --to DIR`."""
    from importlib import util

    from datahelpers import SCRIPT

    spec_ = util.spec_from_file_location("nautiform_data_api", str(SCRIPT))
    nd = util.module_from_spec(spec_)
    spec_.loader.exec_module(nd)
    data = b"laptop check"
    http_server.files["/l.txt"] = data
    spec = http_spec(http_server, "/l.txt", data, "/nonexistent/cluster/path")
    marker = nd.fetch(spec, dest=str(tmp_path / "here"))
    assert marker["identity"].endswith(sha256(data))
    assert tree(tmp_path / "here") == {"l.txt": data}
    with pytest.raises(nd.DataError) as err:
        nd.fetch(dict(spec, source=dict(spec["source"], sha256="0" * 64)), dest=str(tmp_path / "there"))
    assert err.value.code == 3
    assert not (tmp_path / "there").exists()


def test_header_from_environment_is_sent_and_required(http_server, tmp_path):
    data = b"private file"
    http_server.files["/priv"] = data
    dest = tmp_path / "ds"
    spec = http_spec(http_server, "/priv", data, dest)
    spec["source"]["headers_env"] = {"Authorization": "DATA_AUTH"}
    spec["source"]["secret"] = "data-token"
    p = write_spec(tmp_path, spec)
    res = run_script("fetch", p)
    assert res.returncode == 1
    assert "DATA_AUTH" in res.stderr and "data-token" in res.stderr
    assert not dest.exists() and not (tmp_path / ".ds.nautiform-work").exists()
    assert http_server.count("/priv") == 0
    res = run_script("fetch", p, env=base_env(DATA_AUTH="Bearer tok-123"))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"priv": data}
    assert [r["auth"] for r in http_server.requests if r["path"] == "/priv"] == ["Bearer tok-123"]


def test_two_concurrent_fetches_download_once(http_server, tmp_path):
    """Two pods starting the same data step at once: the lock makes one wait for the other."""
    data = os.urandom(2 * 1024 * 1024)
    http_server.files["/shared.bin"] = data
    http_server.delay = 0.01
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, http_spec(http_server, "/shared.bin", data, dest))
    procs = [subprocess.Popen(script_argv("fetch", spec), env=base_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert http_server.count("/shared.bin") == 1
    assert sum("up to date" in err for _, err in outs) == 1
    assert tree(dest) == {"shared.bin": data}


def test_leftovers_of_a_kill_between_steps_are_cleaned(http_server, tmp_path):
    """Simulate kills at the two points the kill test cannot aim at: between the
    renames (dest moved away, new one not yet in place) and after installing."""
    data = b"payload"
    http_server.files["/d"] = data
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, http_spec(http_server, "/d", data, dest))
    old = tmp_path / ".ds.nautiform-work-old"
    old.mkdir()
    (old / "big-old-file").write_bytes(b"x" * 1000)
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert not old.exists()
    work = tmp_path / ".ds.nautiform-work"
    work.mkdir()
    (work / "identity").write_text("whatever\n")
    res = run_script("fetch", spec)
    assert res.returncode == 0 and "up to date" in res.stderr
    assert not work.exists()
    assert tree(dest) == {"d": data}
