"""pushfiles.py and s3push.py's decisions without a server: what PATH holds, the ETags its bytes give,
what a listing says is already there, and how an ETag after the upload is judged."""
from __future__ import annotations

import hashlib
import os

import pytest

from nautiform.pushfiles import LocalFile, PushError, digest, hash_all, multipart_etag, scan
from nautiform.runtime import nautiform_data as nd
from nautiform.s3push import etag_verdict, is_current, make_plan

PART = 5 << 20


def test_scan_lists_files_sorted_and_skips_a_fetched_datasets_marker(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / nd.MARKER).write_text("{}")
    assert [f.rel for f in scan(tmp_path)] == ["a.txt", "b/z.txt"]
    assert [f.rel for f in scan(tmp_path / "a.txt")] == ["a.txt"]


@pytest.mark.parametrize("case, message", [
    ("empty", "holds no files"),
    ("manifest", ".nautiform-manifest.json is the name nautiform gives the push manifest"),
    ("fifo", "is not a regular file"),
])
def test_scan_refuses(tmp_path, case, message):
    root = tmp_path / "d"
    root.mkdir()
    if case == "manifest":
        (root / nd.MANIFEST).write_text("{}")
    elif case == "fifo":
        os.mkfifo(root / "pipe")
    with pytest.raises(PushError, match=message):
        scan(root)


@pytest.mark.parametrize("size, forms", [(0, {"md5"}), (1000, {"md5"}), (PART, {"md5", "multi"}),
                                         (2 * PART + 1, {"multi"})])
def test_predicted_etags(tmp_path, size, forms):
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    f = digest(LocalFile("f", str(tmp_path / "f"), size), PART)
    parts = [hashlib.md5(data[i:i + PART]).digest() for i in range(0, max(size, 1), PART)]
    want = set()
    if "md5" in forms:
        want.add(hashlib.md5(data).hexdigest())
    if "multi" in forms:
        want.add(multipart_etag(parts))
    assert f.etags == want and f.sha256 == hashlib.sha256(data).hexdigest()


def _file(tmp_path, rel, data) -> LocalFile:
    (tmp_path / rel).write_bytes(data)
    return hash_all([LocalFile(rel, str(tmp_path / rel), len(data))], PART, 1)[0]


def test_plan_same_by_etag_or_by_the_manifest_record_and_extra_objects(tmp_path):
    a, b, c = (_file(tmp_path, n, os.urandom(100)) for n in "abc")
    objects = {"a": (100, next(iter(a.etags))),  # the ETag its bytes give
               "b": (100, "0123456789abcdef0123456789abcdef-2"),  # another tool's parts: the manifest vouches
               "c": (100, "ffffffffffffffffffffffffffffffff"),  # other bytes
               "old": (5, "x")}
    manifest = {"state": "complete", "entries": [["b", 100, b.sha256, objects["b"][1]]]}
    plan = make_plan([a, b, c], objects, manifest)
    assert [f.rel for f in plan.same] == ["a", "b"] and [f.rel for f in plan.send] == ["c"]
    assert plan.extra == ["old"] and not is_current(plan, [a, b, c])


def test_current_only_when_the_complete_manifest_describes_exactly_the_files(tmp_path):
    a = _file(tmp_path, "a", b"alpha")
    etag = next(iter(a.etags))
    entries = [["a", 5, a.sha256, etag]]
    assert is_current(make_plan([a], {"a": (5, etag)}, {"state": "complete", "entries": entries}), [a])
    assert not is_current(make_plan([a], {"a": (5, etag)}, {"state": "pushing", "entries": []}), [a])
    assert not is_current(make_plan([a], {"a": (5, etag)}, None), [a])


def test_etag_verdicts(tmp_path):
    small = _file(tmp_path, "s", b"small")
    big = LocalFile("b", "", 3 * PART, "0" * 64, frozenset({"aa-3"}))
    assert etag_verdict(small, next(iter(small.etags)), None) == "ok"
    assert etag_verdict(small, "f" * 32, None) == "bad"
    assert etag_verdict(small, "f" * 32, "f" * 32) == "ok"  # what the manifest recorded
    assert etag_verdict(big, "bb-3", None) == "bad"  # our part layout, other bytes
    assert etag_verdict(big, "bb-30", None) == "size"  # another part size: cannot tell
    assert etag_verdict(big, "c" * 32, None) == "size"  # one PUT of a big file: its MD5 was not computed
