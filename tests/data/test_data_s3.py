"""S3 sources against moto's server (signatures checked) with the real s5cmd and rclone."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import boto3.s3.transfer
import pytest

from datahelpers import base_env, run_script, script_argv, sha256, tree, write_spec

pytestmark = pytest.mark.data

TOOLS = ["s5cmd", "rclone", "builtin"]


def s3_spec(s3, bucket, prefix, dest, tool="auto", **extra):
    spec = {"name": "ds", "dest": str(dest), "source": {
        "type": "s3", "bucket": bucket, "prefix": prefix, "endpoint": s3.endpoint,
        "tool": tool, "workers": 8, "secret": "nrp-s3"}}
    spec.update(extra)
    return spec


@pytest.mark.parametrize("tool", TOOLS)
def test_prefix_is_copied_with_structure_and_nothing_else(s3, tmp_path, tool):
    bucket = s3.bucket()
    inside = {"train/a.txt": b"alpha", "train/sub/b.bin": os.urandom(50_000),
              "train/sub/deeper/c.json": b'{"c": 1}', "train/with space.txt": b"spaced"}
    s3.put(bucket, inside)
    s3.put(bucket, {"train2/not-me.txt": b"sibling prefix", "other/x.txt": b"elsewhere"})
    # a multipart object (its ETag is not an MD5) goes through as well
    big = os.urandom(12 * 1024 * 1024)
    (tmp_path / "big").write_bytes(big)
    s3.client.upload_file(str(tmp_path / "big"), bucket, "train/big.bin",
                          Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                                  multipart_chunksize=5 * 1024 * 1024))
    dest = tmp_path / "out" / "ds"
    res = run_script("fetch", write_spec(tmp_path, s3_spec(s3, bucket, "train", dest, tool)), env=s3.env())
    assert res.returncode == 0, res.stderr
    expected = {k[len("train/"):]: v for k, v in inside.items()}
    expected["big.bin"] = big
    got = tree(dest)
    assert {k: sha256(v) for k, v in got.items()} == {k: sha256(v) for k, v in expected.items()}
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["tool"] == tool and marker["objects"] == 5
    # credentials never appear in what the script prints
    assert s3.secret not in res.stderr + res.stdout
    if tool != "builtin":
        assert ("running: " in res.stderr) and (tool in res.stderr)
        assert ("--numworkers 8" in res.stderr) if tool == "s5cmd" else ("--transfers 8" in res.stderr)


def test_rerun_skips_and_changed_object_refetches(s3, tmp_path):
    bucket = s3.bucket()
    s3.put(bucket, {"d/one.txt": b"1", "d/two.txt": b"2"})
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, s3_spec(s3, bucket, "d/", dest, "s5cmd"))
    assert run_script("fetch", spec, env=s3.env()).returncode == 0
    inode = (dest / "one.txt").stat().st_ino

    res = run_script("fetch", spec, env=s3.env())
    assert res.returncode == 0
    assert "up to date" in res.stderr and "running:" not in res.stderr
    assert (dest / "one.txt").stat().st_ino == inode

    s3.put(bucket, {"d/two.txt": b"two, changed", "d/three.txt": b"3"})
    res = run_script("fetch", spec, env=s3.env())
    assert res.returncode == 0, res.stderr
    assert "running:" in res.stderr
    assert tree(dest) == {"one.txt": b"1", "two.txt": b"two, changed", "three.txt": b"3"}

    s3.client.delete_object(Bucket=bucket, Key="d/one.txt")
    assert run_script("fetch", spec, env=s3.env()).returncode == 0
    assert tree(dest) == {"two.txt": b"two, changed", "three.txt": b"3"}


@pytest.mark.parametrize("missing", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_missing_credentials_clear_message(s3, tmp_path, missing):
    bucket = s3.bucket()
    s3.put(bucket, {"d/x": b"x"})
    dest = tmp_path / "ds"
    env = s3.env()
    del env[missing]
    res = run_script("fetch", write_spec(tmp_path, s3_spec(s3, bucket, "d", dest)), env=env)
    assert res.returncode == 1
    assert missing in res.stderr
    assert "nrp-s3" in res.stderr  # names the Secret to create
    assert "kubectl create secret generic nrp-s3" in res.stderr
    assert s3.secret not in res.stderr
    assert not dest.exists() and not (tmp_path / ".ds.nautiform-work").exists()


def test_wrong_secret_is_rejected_by_server_and_not_printed(s3, tmp_path):
    bucket = s3.bucket()
    s3.put(bucket, {"d/x": b"x"})
    wrong = "Wr0ngSecretValue-abcdef"
    res = run_script("fetch", write_spec(tmp_path, s3_spec(s3, bucket, "d", tmp_path / "ds")),
                     env=base_env(AWS_ACCESS_KEY_ID=s3.key_id, AWS_SECRET_ACCESS_KEY=wrong))
    assert res.returncode == 4
    assert "SignatureDoesNotMatch" in res.stderr
    assert wrong not in res.stderr + res.stdout
    assert not (tmp_path / "ds").exists()


def test_empty_prefix_is_an_error(s3, tmp_path):
    bucket = s3.bucket()
    res = run_script("fetch", write_spec(tmp_path, s3_spec(s3, bucket, "nothing/", tmp_path / "ds")),
                     env=s3.env())
    assert res.returncode == 4
    assert "holds no objects" in res.stderr


def test_endpoint_from_environment_and_unpack_single_object(s3, tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("inner/file.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"hello"))
    bucket = s3.bucket()
    s3.put(bucket, {"arch/data.tar.gz": buf.getvalue()})
    spec = s3_spec(s3, bucket, "arch", tmp_path / "ds", "s5cmd", unpack="tar.gz")
    del spec["source"]["endpoint"]
    res = run_script("fetch", write_spec(tmp_path, spec), env=s3.env(S3_ENDPOINT_URL=s3.endpoint))
    assert res.returncode == 0, res.stderr
    assert tree(tmp_path / "ds") == {"inner/file.txt": b"hello"}


@pytest.mark.parametrize("tool", ["s5cmd", "rclone"])
def test_kill_during_s3_transfer_then_rerun_completes(s3, tmp_path, tool):
    bucket = s3.bucket()
    files = {"many/%04d.bin" % i: os.urandom(2048) + str(i).encode() for i in range(400)}
    s3.put(bucket, files)
    old = {"many/0000.bin": b"old"}
    dest = tmp_path / "ds"
    # an earlier complete version (a different, smaller bucket) is in place
    b_old = s3.bucket()
    s3.put(b_old, old)
    spec_old = s3_spec(s3, b_old, "many", dest, tool)
    assert run_script("fetch", write_spec(tmp_path, spec_old, "old.json"), env=s3.env()).returncode == 0

    new_spec = s3_spec(s3, bucket, "many", dest, tool)
    new_spec["source"]["workers"] = 1  # slow enough to be killed half-way
    spec = write_spec(tmp_path, new_spec)
    proc = subprocess.Popen(script_argv("fetch", spec), env=s3.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    stage = tmp_path / ".ds.nautiform-work" / "stage"
    deadline = time.time() + 60
    while not (stage.exists() and len(list(stage.iterdir())) >= 20):
        assert proc.poll() is None, "transfer finished before it could be killed"
        assert time.time() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    n_at_kill = len(list(stage.iterdir()))
    time.sleep(0.5)
    # the transfer tool died with the script: nothing keeps writing
    assert len(list(stage.iterdir())) == n_at_kill < 400
    assert tree(dest) == {"0000.bin": b"old"}

    res = run_script("fetch", spec, env=s3.env())
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {k[len("many/"):]: v for k, v in files.items()}
    assert not (tmp_path / ".ds.nautiform-work").exists()


@pytest.mark.parametrize("tool", ["s5cmd", "builtin"])
def test_anonymous_public_bucket_needs_no_credentials(s3_open, tmp_path, tool):
    bucket = s3_open.bucket()
    s3_open.client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    s3_open.client.put_object(Bucket=bucket, Key="pub/x.txt", Body=b"public", ACL="public-read")
    spec = s3_spec(s3_open, bucket, "pub", tmp_path / "ds", tool)
    spec["source"]["anonymous"] = True
    res = run_script("fetch", write_spec(tmp_path, spec), env=base_env())
    assert res.returncode == 0, res.stderr
    assert tree(tmp_path / "ds") == {"x.txt": b"public"}
    if tool == "s5cmd":
        assert "--no-sign-request" in res.stderr


@pytest.mark.parametrize("tool", ["s5cmd", "rclone"])
def test_md5_verification_and_part_knobs(s3, tmp_path, tool):
    bucket = s3.bucket()
    small = {"v/a.txt": b"a" * 1000, "v/b/c.txt": os.urandom(3000)}
    s3.put(bucket, small)
    big = os.urandom(11 * 1024 * 1024)
    (tmp_path / "big").write_bytes(big)
    s3.client.upload_file(str(tmp_path / "big"), bucket, "v/big.bin",
                          Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                                  multipart_chunksize=5 * 1024 * 1024))
    spec = s3_spec(s3, bucket, "v", tmp_path / "ds", tool)
    spec["source"].update(verify="md5", part_size_mib=5, concurrency=2)
    res = run_script("fetch", write_spec(tmp_path, spec), env=s3.env())
    assert res.returncode == 0, res.stderr
    marker = json.loads(res.stdout)
    assert marker["md5_checked"] == 2  # the multipart object is checked by size
    assert tree(tmp_path / "ds") == {"a.txt": small["v/a.txt"], "b/c.txt": small["v/b/c.txt"], "big.bin": big}
    if tool == "s5cmd":
        assert "--part-size 5 --concurrency 2" in res.stderr
    else:
        assert "--multi-thread-streams 2 --multi-thread-cutoff 5Mi" in res.stderr


def test_verification_catches_a_copy_that_differs_from_the_listing(s3, tmp_path, monkeypatch):
    """The listing is what the marker vouches for: a transfer whose files do not
    match it (here: the listing says other sizes/MD5s than what s5cmd copies)
    fails verification and nothing is installed."""
    from importlib import util

    from datahelpers import SCRIPT

    mod = util.spec_from_file_location("nd_verify", str(SCRIPT))
    nd = util.module_from_spec(mod)
    mod.loader.exec_module(nd)
    bucket = s3.bucket()
    s3.put(bucket, {"w/a.txt": b"actual content", "w/b.txt": b"bbb"})
    for k, v in s3.env().items():
        monkeypatch.setenv(k, v)
    real_list = nd.S3.list
    for tamper, word in ((lambda l: [(k, s, "0" * 32) for k, s, _ in l], "MD5"),
                         (lambda l: [(k, s + 1, e) for k, s, e in l], "bytes, expected")):
        monkeypatch.setattr(nd.S3, "list", lambda self, b, p, t=tamper: t(real_list(self, b, p)))
        spec = s3_spec(s3, bucket, "w", tmp_path / "ds", "s5cmd", name="ds")
        spec["source"]["verify"] = "md5"
        with pytest.raises(nd.DataError) as err:
            nd.fetch(spec)
        assert err.value.code == 3 and word in str(err.value)
        assert not (tmp_path / "ds").exists() and not (tmp_path / ".ds.nautiform-work").exists()
    monkeypatch.setattr(nd.S3, "list", real_list)
    assert nd.fetch(spec)["md5_checked"] == 2
    assert tree(tmp_path / "ds") == {"a.txt": b"actual content", "b.txt": b"bbb"}


def test_listing_beyond_one_page(s3, tmp_path):
    """More than 1,000 keys: the listing (and so the identity) pages through all of them."""
    bucket = s3.bucket()
    src = tmp_path / "up"
    src.mkdir()
    for i in range(1050):
        (src / ("f%04d" % i)).write_bytes(b"%d" % i)
    subprocess.run([str(__import__("datahelpers").VENV_BIN / "s5cmd"), "--endpoint-url", s3.endpoint,
                    "cp", str(src) + "/*", "s3://%s/pages/" % bucket], env=s3.env(), check=True,
                   stdout=subprocess.DEVNULL)
    res = run_script("fetch", write_spec(tmp_path, s3_spec(s3, bucket, "pages", tmp_path / "ds", "builtin")),
                     env=s3.env())
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["objects"] == 1050
    got = tree(tmp_path / "ds")
    assert len(got) == 1050 and got["f1049"] == b"1049"
