"""`nautiform data push` to an S3 dataset (issue 18): the real CLI, moto's server with signatures and
IAM policies checked, the real s5cmd and rclone. What was sent is read from moto's request log."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from datahelpers import tree
from pushhelpers import (env_for, listing, log_offset, make_files, manifest, nautiform_argv, project, run,
                         sent_keys)

pytestmark = pytest.mark.data

@pytest.mark.parametrize("tool", ["s5cmd", "rclone"])
def test_push_resend_nothing_then_only_the_changed_file_then_fetch_verifies(s3, tmp_path, tool):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket, tool)
    local = tmp_path / "local"
    files = make_files(local, 150, big=12 * 1024 * 1024)  # part size 5 MiB: the big one goes in 3 parts
    env = env_for(s3, tmp_path)

    since = log_offset(s3)
    res = run(cwd, "data", "push", "local", "pics", "--part-size-mib", 5, env=env)
    assert res.returncode == 0, res.stderr
    assert "151 files (12.3 MiB) to send, 0 unchanged" in res.stdout
    assert "pushed 151 files" in res.stdout and "verified sizes and ETags" in res.stdout
    assert f"s3://{bucket}/pics/ is complete: 151 files" in res.stdout
    assert "project.yaml needs no change" in res.stdout
    assert sent_keys(s3, bucket, since) == {"pics/" + rel for rel in files}
    got = s3.get_all(bucket, "pics/")
    assert {k: v for k, v in got.items() if not k.endswith("manifest.json")} == {"pics/" + k: v for k, v in files.items()}
    assert listing(s3, bucket)["pics/big.bin"][1].endswith('-3"')  # really multipart
    m = manifest(s3, bucket)
    assert m["state"] == "complete" and m["files"] == 151
    assert {e[0]: e[1] for e in m["entries"]} == {rel: len(data) for rel, data in files.items()}
    assert s3.secret not in res.stdout + res.stderr

    before = listing(s3, bucket)
    since = log_offset(s3)
    res = run(cwd, "data", "push", "local", "pics", "--part-size-mib", 5, env=env)
    assert res.returncode == 0, res.stderr
    assert "nothing to send" in res.stdout
    assert sent_keys(s3, bucket, since) == set() and listing(s3, bucket) == before  # not even the manifest

    changed = os.urandom(len(files["shard 1/0001.bin"]))  # same size: only the ETag tells
    (local / "shard 1/0001.bin").write_bytes(changed)
    since = log_offset(s3)
    res = run(cwd, "data", "push", "local", "pics", "--part-size-mib", 5, env=env)
    assert res.returncode == 0, res.stderr
    assert "1 file (2.0 KiB) to send, 150 unchanged" in res.stdout
    assert sent_keys(s3, bucket, since) == {"pics/shard 1/0001.bin"}
    after = listing(s3, bucket)
    assert {k for k in after if after[k] != before[k]} == {"pics/shard 1/0001.bin", "pics/.nautiform-manifest.json"}

    res = run(cwd, "data", "fetch", "pics", "--to", "fetched", env=env)
    assert res.returncode == 0, res.stderr
    files["shard 1/0001.bin"] = changed
    fetched = tree(tmp_path / "fetched" / "pics")
    assert json.loads(fetched.pop(".nautiform-manifest.json"))["state"] == "complete"
    assert fetched == files
    marker = json.loads((tmp_path / "fetched/pics/.nautiform-data.json").read_text())
    assert marker["sha256_checked"] == 151


@pytest.mark.parametrize("tool", ["s5cmd", "rclone"])
def test_killed_push_is_visibly_incomplete_and_a_rerun_sends_only_the_rest(s3, tmp_path, tool):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket, tool, workers=1)  # one at a time: slow enough to kill half-way
    files = make_files(tmp_path / "local", 300)
    env = env_for(s3, tmp_path)
    proc = subprocess.Popen(nautiform_argv("data", "push", "local", "pics"), cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(listing(s3, bucket)) < 30:
        assert proc.poll() is None, "the push finished before it could be killed"
        assert time.time() < deadline
        time.sleep(0.05)
    for child in _children(proc.pid):  # the tool has the keys in its environment, not its argv
        assert s3.secret.encode() not in Path(f"/proc/{child}/cmdline").read_bytes()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    present = set(listing(s3, bucket))
    time.sleep(0.5)
    assert set(listing(s3, bucket)) == present, "the transfer tool went on after the push was killed"
    assert manifest(s3, bucket)["state"] == "pushing"
    sent_before = {k for k in present if not k.endswith("manifest.json")}
    assert 0 < len(sent_before) < 300

    res = run(cwd, "data", "fetch", "pics", "--to", "fetched", env=env)
    assert res.returncode == 1 and "incomplete" in res.stderr and "run the push again" in res.stderr
    assert not (tmp_path / "fetched" / "pics").exists()

    since = log_offset(s3)
    res = run(cwd, "data", "push", "local", "pics", env=env)
    assert res.returncode == 0, res.stderr
    assert f"{300 - len(sent_before)} files" in res.stdout and f"{len(sent_before)} unchanged" in res.stdout
    assert sent_keys(s3, bucket, since) == {"pics/" + rel for rel in files} - sent_before
    assert run(cwd, "data", "fetch", "pics", "--to", "fetched", env=env).returncode == 0
    assert len(tree(tmp_path / "fetched" / "pics")) == 301


def test_ctrl_c_stops_the_tool_and_says_how_to_resume(s3, tmp_path):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket, "s5cmd", workers=1)
    make_files(tmp_path / "local", 300)
    proc = subprocess.Popen(nautiform_argv("data", "push", "local", "pics"), cwd=cwd, env=env_for(s3, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while len(listing(s3, bucket)) < 10:
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    tool = _children(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.endswith("interrupted: nothing was published as complete; run the same command again to resume "
                        "(files already sent are not sent again)\n")
    assert tool and not any(Path(f"/proc/{pid}").exists() for pid in tool)
    assert manifest(s3, bucket)["state"] == "pushing"


def _children(pid: int) -> list:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_builtin_client_and_fetch_refuses_an_object_changed_after_the_push(s3, tmp_path):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket, "builtin")
    make_files(tmp_path / "local", 5)
    env = env_for(s3, tmp_path)
    res = run(cwd, "data", "push", "local", "pics", env=env)
    assert res.returncode == 0, res.stderr
    s3.put(bucket, {"pics/shard 0/0000.bin": b"edited by hand"})
    res = run(cwd, "data", "fetch", "pics", "--to", "fetched", env=env)
    assert res.returncode == 1
    assert "does not match its push manifest" in res.stderr and "shard 0/0000.bin has 14 bytes" in res.stderr
    assert not (tmp_path / "fetched" / "pics").exists()


def test_objects_that_are_not_local_files_stop_the_push_unless_delete(s3, tmp_path):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket)
    make_files(tmp_path / "local", 3)
    s3.put(bucket, {"pics/stale.txt": b"old"})
    env = env_for(s3, tmp_path)
    res = run(cwd, "data", "push", "local", "pics", env=env)
    assert res.returncode == 1
    assert res.stderr.splitlines()[0] == f"error: s3://{bucket}/pics/ holds 1 object(s) that are not in the pushed files: stale.txt"
    assert set(listing(s3, bucket)) == {"pics/stale.txt"}  # nothing written, not even a manifest
    res = run(cwd, "data", "push", "local", "pics", "--delete", env=env)
    assert res.returncode == 0, res.stderr
    assert "1 deleted" in res.stdout and "pics/stale.txt" not in listing(s3, bucket)


def test_a_single_file_lands_under_its_name(s3, tmp_path):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket, prefix="\"\"")  # the whole bucket
    (tmp_path / "one.tar").write_bytes(b"archive")
    res = run(cwd, "data", "push", "one.tar", "pics", env=env_for(s3, tmp_path))
    assert res.returncode == 0, res.stderr
    assert set(listing(s3, bucket)) == {"one.tar", ".nautiform-manifest.json"}
