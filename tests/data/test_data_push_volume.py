"""The volume path of `nautiform data push` without a cluster: the exact stream the laptop sends into
`kubectl exec -i`, consumed by the exact command the transfer pod runs (`python3 -c BOOT STEP --dest
REL`, here `python -I -S`: no site-packages, as in the data image), in a folder standing in for the
volume's mount. What KWOK cannot do (run the exec) is in tests/cluster/test_push_pod.py's docstring."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datahelpers import run_script, tree, write_spec
from nautiform import volpush
from nautiform.pushfiles import PushError, hash_all, scan
from nautiform.runtime import nautiform_data as nd

pytestmark = pytest.mark.data

SPEC = {"name": "scans", "source": {"type": "push"}, "unpack": None}
PREFIX = [sys.executable, "-I", "-S", "-c", volpush.BOOT]
ROOT = "/mnt/data"
DEST = "datasets/scans"


def local(tmp_path, n=40, big=3 * 1024 * 1024):
    root = tmp_path / "local"
    for i in range(n):
        (root / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 3}" / f"{i:03d} x.bin").write_bytes(os.urandom(1000 + i))
    if big:
        (root / "big.bin").write_bytes(os.urandom(big))
    return root, hash_all(scan(root), 50 << 20, 2)


@pytest.fixture(autouse=True)
def volume(tmp_path, monkeypatch):
    """The folder standing in for the volume; in a pod it is the mount the receiver is told."""
    (tmp_path / "vol").mkdir()
    monkeypatch.setenv("NAUTIFORM_RECEIVE_ROOT", str(tmp_path / "vol"))
    return tmp_path / "vol"


def push(tmp_path, files, streams=3):
    return volpush.transfer(SPEC, files, PREFIX, ROOT, DEST, streams)


def installed(tmp_path) -> dict:
    got = tree(tmp_path / "vol" / DEST)
    manifest = json.loads(got.pop(".nautiform-manifest.json"))
    assert manifest["state"] == "complete"
    return got


def test_push_installs_verifies_and_the_workloads_wait_sees_it(tmp_path):
    root, files = local(tmp_path)
    out = push(tmp_path, files)
    assert not out.current and len(out.sent) == 41 and out.kept == out.carried == 0
    assert installed(tmp_path) == tree(root)
    marker = json.loads((tmp_path / "vol" / DEST / nd.MARKER).read_text())
    dest = str(tmp_path / "vol" / DEST)
    assert marker["spec_key"] == nd.spec_key(nd.check_spec(SPEC, dest)) and marker["source_type"] == "push"
    assert not (tmp_path / "vol" / "datasets" / ".scans.nautiform-work").exists()
    # the init container of every workload that lists the dataset runs exactly this
    res = run_script("wait", write_spec(tmp_path, SPEC), "--dest", dest, "--timeout", "5")
    assert res.returncode == 0, res.stderr


def test_rerun_sends_nothing_and_a_changed_file_alone_is_sent(tmp_path):
    root, files = local(tmp_path)
    push(tmp_path, files)
    again = push(tmp_path, files)
    assert again.current and again.sent == []
    (root / "d1" / "001 x.bin").write_bytes(b"changed")
    files = hash_all(scan(root), 50 << 20, 2)
    out = push(tmp_path, files)
    assert [f.rel for f in out.sent] == ["d1/001 x.bin"] and out.carried == 40
    assert installed(tmp_path) == tree(root)


def test_a_broken_stream_installs_nothing_and_the_rerun_keeps_what_arrived(tmp_path):
    root, files = local(tmp_path, big=0)
    out = push(tmp_path, files[:5])  # an older version is in place
    entries = [[f.rel, f.size, f.sha256] for f in files]
    base = {"spec": SPEC, "digest": nd.manifest_digest(entries)}
    volpush.run_step(PREFIX, "prepare", ROOT, DEST, {**base, "entries": entries}, [])
    buf = io.BytesIO()
    volpush.write_stream(buf, {**base, "entries": entries}, files)
    cut = buf.getvalue()[:len(volpush.boot_header()) + 30 * 1536]  # ends inside a file
    res = subprocess.run([*PREFIX, "part", "--root", ROOT, "--dest", DEST], input=cut, capture_output=True)
    assert res.returncode == 4, res.stderr
    assert b"the stream broke after" in res.stderr
    assert installed(tmp_path) == {f.rel: Path(f.path).read_bytes() for f in files[:5]}
    out = push(tmp_path, files)
    assert out.kept > 10 and len(out.sent) == 40 - out.kept - out.carried
    assert installed(tmp_path) == tree(root)


def test_bytes_that_do_not_match_the_request_are_refused(tmp_path):
    root, files = local(tmp_path, n=3, big=0)
    entries = [[f.rel, f.size, f.sha256] for f in files]
    base = {"spec": SPEC, "digest": nd.manifest_digest(entries), "entries": entries}
    volpush.run_step(PREFIX, "prepare", ROOT, DEST, base, [])
    (root / "d0" / "000 x.bin").write_bytes(os.urandom(1000))  # changed after hashing, same size
    with pytest.raises(PushError) as err:
        volpush.run_step(PREFIX, "part", ROOT, DEST, base, files)
    assert "d0/000 x.bin arrived with 1000 bytes and sha256" in str(err.value)
    assert str(err.value).startswith("part in the transfer pod failed (exit 3)")
    stray = {**base, "entries": entries[1:]}  # a file the request does not name
    with pytest.raises(PushError, match="unexpected member 'd0/000 x.bin'"):
        volpush.run_step(PREFIX, "part", ROOT, DEST, stray, files)
    assert not (tmp_path / "vol" / DEST).exists()


def test_shares_balance_bytes_across_streams():
    files = [nd_file(f"f{i}", size) for i, size in enumerate([100, 90, 10, 10, 10, 50, 40])]
    got = volpush.shares(files, 3)
    assert sorted(sum(f.size for f in s) for s in got) == [100, 100, 110]
    assert volpush.shares(files[:2], 8) == [[files[0]], [files[1]]]


def nd_file(rel, size):
    from nautiform.pushfiles import LocalFile

    return LocalFile(rel, "/nonexistent", size)


def test_exec_command_is_kubectl_exec_with_stdin_and_no_secret(tmp_path):
    argv = volpush.exec_prefix("kubectl", "lab", "toy-push-scans-abc123")
    assert argv[:11] == ["kubectl", "exec", "-i", "-n", "lab", "toy-push-scans-abc123", "-c", "receive", "--",
                         "python3", "-c"]
    assert argv[11] == volpush.BOOT and len(argv) == 12


PUSH_PROJECT = """\
version: 1
project: {name: toy, namespace: lab, profile: nautilus}
image: {ref: "python:3.11"}
volumes:
  data: {size: 10Gi, storage_class: rook-cephfs}
datasets:
  scans: {source: {push: {}}, volume: data}
workloads:
  train: {kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {data: /data}, datasets: [scans]}
"""


def test_dry_run_shows_the_transfer_pod_and_the_exec(tmp_path):
    from pushhelpers import run

    from datahelpers import base_env

    (tmp_path / "project.yaml").write_text(PUSH_PROJECT)
    local(tmp_path, n=2, big=0)
    res = run(tmp_path, "data", "push", "local", "scans", "--dry-run", "--deadline", "600", env=base_env())
    assert res.returncode == 0, res.stderr
    head, rest = res.stdout.split("would create this transfer pod and stream 2 files into ")
    assert rest.startswith("volume data (PVC toy-data) at datasets/scans, namespace lab:\n")
    pod = json.loads(rest[rest.index("{"):rest.rindex("}") + 1])
    assert pod["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "nautiform", "nautiform.io/push": "toy",
                                         "nautiform.io/dataset": "scans"}
    assert pod["spec"]["activeDeadlineSeconds"] == 600
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    assert "exec -i -n lab toy-push-scans-" in res.stdout
    assert "-c receive -- python3 -c BOOT part --root /mnt/data --dest datasets/scans" in res.stdout


def test_no_volume_mounted_no_write(tmp_path, monkeypatch):
    """In a pod the mount must be there (a mount point): data written elsewhere would vanish with the pod."""
    monkeypatch.delenv("NAUTIFORM_RECEIVE_ROOT")
    root, files = local(tmp_path, n=1, big=0)
    with pytest.raises(PushError, match=f"the volume is not mounted at {tmp_path}/vol in this pod"):
        volpush.transfer(SPEC, files, PREFIX, str(tmp_path / "vol"), DEST, 1)
    assert list((tmp_path / "vol").iterdir()) == []
