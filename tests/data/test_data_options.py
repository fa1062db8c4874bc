"""Dataset options the compiler writes (issue 14): http md5 / unverified, flatten, keys from an
s3cmd config ($NAUTIFORM_S3CFG) and gcs sources (S3 at storage.googleapis.com)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from importlib import util
from pathlib import Path

import pytest
import yaml

from datahelpers import ROOT, SCRIPT, base_env, run_script, sha256, tree, write_spec

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def nd():
    spec = util.spec_from_file_location("nautiform_data_options", str(SCRIPT))
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def http_spec(srv, path, dest, **source):
    return {"name": "ds", "dest": str(dest), "source": {"type": "http", "url": srv.url(path), **source}}


def targz(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# --------------------------------------------------------------------------- http md5 / unverified


def test_md5_ok_fetches_and_records_md5_identity(http_server, tmp_path):
    data = os.urandom(200_000)
    http_server.files["/h2z.bin"] = data
    dest = tmp_path / "ds"
    res = run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/h2z.bin", dest, md5=md5(data))))
    assert res.returncode == 0, res.stderr
    assert "md5 ok (%s)" % md5(data) in res.stderr
    assert tree(dest) == {"h2z.bin": data}
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["identity"] == "http:%s#md5=%s" % (http_server.url("/h2z.bin"), md5(data))
    assert "unverified" not in marker


def test_md5_mismatch_fails_and_leaves_nothing(http_server, tmp_path):
    http_server.files["/h2z.bin"] = b"what the server has\n" * 100
    dest = tmp_path / "ds"
    spec = http_spec(http_server, "/h2z.bin", dest, md5=md5(b"what the publisher hashed"))
    res = run_script("fetch", write_spec(tmp_path, spec))
    assert res.returncode == 3
    assert "md5 mismatch for %s: expected %s" % (http_server.url("/h2z.bin"), md5(b"what the publisher hashed")) \
        in res.stderr
    assert not dest.exists()
    assert not (tmp_path / ".ds.nautiform-work").exists()


def test_unverified_fetch_says_so_and_refetches_a_changed_file(http_server, tmp_path):
    http_server.files["/list.html"] = b"<a>torch-2.4</a>\n"
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, http_spec(http_server, "/list.html", dest, unverified=True))
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert "WARNING: %s was NOT verified" % http_server.url("/list.html") in res.stderr
    assert tree(dest) == {"list.html": b"<a>torch-2.4</a>\n"}
    assert json.loads((dest / ".nautiform-data.json").read_text())["unverified"] is True

    res = run_script("fetch", spec)  # same version on the server: nothing is downloaded
    assert res.returncode == 0 and "up to date" in res.stderr
    assert http_server.count("/list.html") == 1

    http_server.files["/list.html"] = b"<a>torch-2.4</a>\n<a>torch-2.5</a>\n"
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"list.html": b"<a>torch-2.4</a>\n<a>torch-2.5</a>\n"}
    assert http_server.count("/list.html") == 2


@pytest.mark.parametrize("source, flatten, unpack, words", [
    ({"sha256": "a" * 64, "md5": "b" * 32}, None, None, "exactly one of source.sha256"),
    ({"md5": "b" * 32, "unverified": True}, None, None, "got md5, unverified"),
    ({}, None, None, "got none"),
    ({"unverified": False}, None, None, "got none"),
    ({"md5": "b" * 31}, None, None, "source.md5 must be 32 hex digits"),
    ({"unverified": "yes"}, None, None, "source.unverified must be true or false"),
    ({"sha256": "a" * 64}, True, None, "spec.flatten is for an unpacked archive"),
    ({"sha256": "a" * 64}, "yes", "tar", "spec.flatten must be true or false"),
])
def test_bad_checksum_and_flatten_settings_are_rejected(tmp_path, source, flatten, unpack, words):
    spec = {"name": "ds", "dest": str(tmp_path / "ds"), "unpack": unpack,
            "source": {"type": "http", "url": "http://127.0.0.1:9/x", **source}}
    if flatten is not None:
        spec["flatten"] = flatten
    res = run_script("fetch", write_spec(tmp_path, spec))
    assert res.returncode == 1
    assert words in res.stderr
    assert not (tmp_path / "ds").exists()


def test_sha256_spec_key_is_unchanged(nd):
    """Hard-coded keys computed by the runtime before md5/unverified/flatten existed: data fetched
    then is not fetched again after an upgrade (false/absent options do not change a key)."""
    plain = {"name": "ds", "dest": "/tmp/x", "unpack": None,
             "source": {"type": "http", "url": "https://e.org/a.bin", "sha256": "AB" * 32}}
    archive = {"name": "ds", "dest": "/tmp/x", "unpack": "tar.gz",
               "source": {"type": "http", "url": "https://e.org/a.tgz", "sha256": "ab" * 32, "filename": "a.tgz"}}
    bucket = {"name": "imagenet", "dest": "/d", "unpack": None, "source": {
        "type": "s3", "bucket": "vision-datasets", "prefix": "imagenet/ILSVRC2012/",
        "endpoint": "http://rook-ceph-rgw-nautiluss3.rook", "anonymous": False, "secret": "ceph-s3",
        "tool": "rclone", "workers": 64}}
    before = {"plain": "4630e05209463a088c156467443ec701e7e6f8911defde4b60be3f927be9024e",
              "archive": "12ca60d6a02962a927eff9e1d7f3a33d9524313e8178db710ec9cd4125430fb9",
              "bucket": "737812c850ef14d90bf70df20eacae8b678505683350967de1d3b69251daffed"}
    for name, spec in (("plain", plain), ("archive", archive), ("bucket", bucket)):
        assert nd.spec_key(nd.check_spec(spec)) == before[name], name
    with_false = dict(archive, flatten=False, source=dict(archive["source"], unverified=False))
    assert nd.spec_key(nd.check_spec(with_false)) == before["archive"]
    # declared options that change what DEST holds do change the key
    assert nd.spec_key(nd.check_spec(dict(archive, flatten=True))) != before["archive"]
    md5_spec = dict(plain, source={"type": "http", "url": "https://e.org/a.bin", "md5": "ab" * 16})
    assert nd.spec_key(nd.check_spec(md5_spec)) != before["plain"]


# --------------------------------------------------------------------------- flatten


ONE_TOP = {"horse2zebra/trainA/1.jpg": b"horse", "horse2zebra/trainB/1.jpg": b"zebra",
           "horse2zebra/README": b"read me"}


@pytest.mark.parametrize("in_place", [False, True])
def test_flatten_makes_the_single_top_folder_the_dataset(http_server, tmp_path, in_place):
    data = targz(ONE_TOP)
    http_server.files["/h2z.tar.gz"] = data
    dest = tmp_path / "ds"
    if in_place:
        dest.mkdir()
        (dest / "stale.txt").write_text("from before")
    spec = http_spec(http_server, "/h2z.tar.gz", dest, sha256=sha256(data))
    res = run_script("fetch", write_spec(tmp_path, dict(spec, unpack="tar.gz", flatten=True, in_place=in_place)))
    assert res.returncode == 0, res.stderr
    got = tree(dest)
    got.pop(".nautiform.lock", None)
    assert got == {"trainA/1.jpg": b"horse", "trainB/1.jpg": b"zebra", "README": b"read me"}
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["flattened"] == "horse2zebra" and marker["files"] == 3
    assert not (tmp_path / ".ds.nautiform-work").exists() and not (dest / ".nautiform-work").exists()


def test_flatten_declared_later_refetches_into_the_flat_layout(http_server, tmp_path):
    data = targz(ONE_TOP)
    http_server.files["/h2z.tar.gz"] = data
    dest = tmp_path / "ds"
    nested = dict(http_spec(http_server, "/h2z.tar.gz", dest, sha256=sha256(data)), unpack="tar.gz")
    assert run_script("fetch", write_spec(tmp_path, nested, "nested.json")).returncode == 0
    assert set(tree(dest)) == set(ONE_TOP)
    flat = write_spec(tmp_path, dict(nested, flatten=True), "flat.json")
    assert run_script("wait", flat, "--timeout", "0.2", "--interval", "0.1").returncode == 5
    res = run_script("fetch", flat)
    assert res.returncode == 0, res.stderr
    assert set(tree(dest)) == {"trainA/1.jpg", "trainB/1.jpg", "README"}
    assert run_script("wait", flat, "--timeout", "1").returncode == 0


@pytest.mark.parametrize("files", [
    {"top/a.txt": b"a", "other/b.txt": b"b"},  # two folders
    {"top/a.txt": b"a", "NOTICE": b"n"},  # a folder and a file
    {"only.txt": b"o"},  # one file, no folder
])
def test_flatten_is_a_no_op_without_a_single_top_folder(http_server, tmp_path, files):
    data = targz(files)
    http_server.files["/x.tar.gz"] = data
    dest = tmp_path / "ds"
    spec = dict(http_spec(http_server, "/x.tar.gz", dest, sha256=sha256(data)), unpack="tar.gz", flatten=True)
    res = run_script("fetch", write_spec(tmp_path, spec))
    assert res.returncode == 0, res.stderr
    assert "keeping them as they are" in res.stderr
    assert tree(dest) == files
    assert "flattened" not in json.loads((dest / ".nautiform-data.json").read_text())


# --------------------------------------------------------------------------- $NAUTIFORM_S3CFG


def s3cfg_file(tmp_path: Path, access_key: str, secret_key: str | None, **extra) -> Path:
    lines = ["[default]", "access_key = %s" % access_key]
    if secret_key is not None:
        lines.append("secret_key = %s" % secret_key)
    lines += ["%s = %s" % kv for kv in extra.items()]
    p = tmp_path / ".s3cfg"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize("tool", ["s5cmd", "rclone", "builtin"])
def test_s3cfg_keys_fetch_from_s3(s3, tmp_path, tool):
    bucket = s3.bucket()
    s3.put(bucket, {"2017/a.txt": b"alpha", "2017/sub/b.bin": os.urandom(20_000)})
    cfg = s3cfg_file(tmp_path, s3.key_id, s3.secret, host_base="s3.example.invalid")
    dest = tmp_path / "ds"
    spec = {"name": "coco", "dest": str(dest), "unpack": None, "source": {
        "type": "s3", "bucket": bucket, "prefix": "2017/", "endpoint": s3.endpoint, "anonymous": False,
        "secret": "s3cmd-config", "tool": tool, "workers": 4}}
    env = base_env(NAUTIFORM_S3CFG=str(cfg))
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    res = run_script("fetch", write_spec(tmp_path, spec), env=env)
    assert res.returncode == 0, res.stderr
    assert set(tree(dest)) == {"a.txt", "sub/b.bin"} and tree(dest)["a.txt"] == b"alpha"
    assert s3.secret not in res.stderr + res.stdout and s3.key_id not in res.stderr + res.stdout


def test_s3cfg_host_base_is_the_endpoint_when_the_spec_has_none(s3, tmp_path):
    bucket = s3.bucket()
    s3.put(bucket, {"d/one.txt": b"1"})
    cfg = s3cfg_file(tmp_path, s3.key_id, s3.secret, host_base=s3.endpoint.split("://")[1], use_https="False")
    dest = tmp_path / "ds"
    spec = {"name": "ds", "dest": str(dest), "source": {"type": "s3", "bucket": bucket, "prefix": "d/",
                                                        "tool": "builtin"}}
    res = run_script("fetch", write_spec(tmp_path, spec), env=base_env(NAUTIFORM_S3CFG=str(cfg)))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"one.txt": b"1"}


def test_s3cfg_without_secret_key_is_a_clear_error(s3, tmp_path):
    cfg = s3cfg_file(tmp_path, "AKIDVISIBLEKEY1234", None)
    spec = {"name": "coco", "dest": str(tmp_path / "ds"), "source": {
        "type": "s3", "bucket": "b", "endpoint": s3.endpoint, "secret": "s3cmd-config"}}
    res = run_script("fetch", write_spec(tmp_path, spec), env=base_env(NAUTIFORM_S3CFG=str(cfg)))
    assert res.returncode == 1
    assert ("the s3cmd config %s ($NAUTIFORM_S3CFG, from the Secret s3cmd-config) has no secret_key" % cfg
            in res.stderr)
    assert "AKIDVISIBLEKEY1234" not in res.stderr
    res = run_script("fetch", write_spec(tmp_path, spec),
                     env=base_env(NAUTIFORM_S3CFG=str(tmp_path / "missing")))
    assert res.returncode == 1 and "cannot read the s3cmd config" in res.stderr


@pytest.mark.parametrize("tool", ["s5cmd", "rclone", "builtin"])
def test_s3cfg_keys_sync_outputs(s3, tmp_path, tool):
    bucket = s3.bucket()
    src = tmp_path / "results"
    (src / "ckpt").mkdir(parents=True)
    (src / "metrics.json").write_text('{"loss": 0.1}')
    (src / "ckpt" / "model.pt").write_bytes(b"\x00\x01" * 5000)
    cfg = s3cfg_file(tmp_path, s3.key_id, s3.secret)
    res = run_script("run", "--outputs", src, "--to", "s3://%s/cyclegan/p1" % bucket, "--endpoint", s3.endpoint,
                     "--tool", tool, "--", "true", env=base_env(NAUTIFORM_S3CFG=str(cfg)))
    assert res.returncode == 0, res.stderr
    got = s3.get_all(bucket, "cyclegan/")
    assert got["cyclegan/p1/metrics.json"] == b'{"loss": 0.1}'
    assert got["cyclegan/p1/ckpt/model.pt"] == b"\x00\x01" * 5000
    assert s3.secret not in res.stderr + res.stdout


# --------------------------------------------------------------------------- what the compiler writes


def compiled_specs() -> list:
    """(case, container, spec) of every data runtime call in the golden cases' expected manifests."""
    out = []
    for path in sorted((ROOT / "tests" / "cases").glob("*/expected/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            pod = ((doc or {}).get("spec") or {}).get("template", {}).get("spec") or {}
            for c in pod.get("initContainers", []) + pod.get("containers", []):
                cmd = c.get("command") or []
                if len(cmd) > 3 and cmd[1].endswith("nautiform_data.py") and cmd[2] in ("fetch", "wait"):
                    out.append((path.parent.parent.name, c["name"], json.loads(cmd[3])))
    return out


def test_the_runtime_accepts_every_spec_the_compiler_writes(nd, tmp_path):
    specs = compiled_specs()
    seen = {(case, spec["name"]) for case, _, spec in specs}
    assert {("datasets-sources", n) for n in ("horse2zebra", "mirror-list", "coco", "laion-subset",
                                              "partner-data")} <= seen
    for case, container, spec in specs:
        checked = nd.check_spec(spec, dest=str(tmp_path / "d"))
        assert checked["source"]["type"] == spec["source"]["type"], (case, container)
        if spec.get("flatten"):
            assert checked["flatten"] is True
    by_name = {spec["name"]: spec for case, _, spec in specs if case == "datasets-sources"}
    assert nd.http_checksum(nd.check_spec(by_name["horse2zebra"], dest="/d")["source"]) == \
        ("md5", "5a6f4d6d5b8ef2bd1ed0e4a6f0d18f6c")
    assert nd.http_checksum(nd.check_spec(by_name["mirror-list"], dest="/d")["source"]) is None


def test_gcs_specs_sign_for_gcs(nd):
    """A gcs source arrives as s3 at storage.googleapis.com (its XML API, HMAC keys or anonymous)."""
    specs = {spec["name"]: spec for case, _, spec in compiled_specs() if case == "datasets-sources"}
    public, keyed = specs["laion-subset"], specs["partner-data"]
    for spec in (public, keyed):
        assert spec["source"]["type"] == "s3" and spec["source"]["endpoint"] == "https://storage.googleapis.com"
    assert nd.s3_credentials(nd.check_spec(public, dest="/d")) is None  # anonymous: no keys needed
    ep = nd.s3_endpoint(keyed["source"]["endpoint"])
    assert ep == "https://storage.googleapis.com" and nd.default_region(ep) == "auto"
    assert nd.default_region("http://rook-ceph-rgw-nautiluss3.rook") == "us-east-1"
    env = nd.tool_env(ep, "auto", False, ("GOOGHMACID", "hmac-secret", None))
    assert env["RCLONE_CONFIG_NAUTIFORM_PROVIDER"] == "Other"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("GOOGHMACID", "hmac-secret")
    assert nd.tool_env("http://rook-ceph-rgw-nautiluss3.rook", "us-east-1", True)[
        "RCLONE_CONFIG_NAUTIFORM_PROVIDER"] == "Ceph"
