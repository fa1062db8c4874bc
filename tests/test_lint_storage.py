"""The shared-rwo warning: a ReadWriteOnce volume used by pods that may sit on different nodes."""
from __future__ import annotations

import pytest

from nf_testlib import nautiform

PROJECT = """\
version: 1
project: {{name: s, namespace: lab}}
image: {{ref: "python:3.11"}}
volumes:
  ckpt: {{size: 10Gi, storage_class: {cls}}}
defaults: {{cpu: 1, memory: 1Gi, mounts: {{ckpt: /ckpt}}}}
workloads:
  sweep:
    kind: sweep
    command: [python, t.py, "{{x}}"]
    sweep: {{grid: {{x: [1, 2, 3]}}}}
    parallelism: {parallelism}
"""


@pytest.mark.parametrize("cls,parallelism,warned", [("rook-ceph-block", 3, True), ("rook-ceph-block", 1, False),
                                                     ("rook-cephfs", 3, False)])
def test_shared_rwo_warning(tmp_path, cls, parallelism, warned):
    (tmp_path / "project.yaml").write_text(PROJECT.format(cls=cls, parallelism=parallelism))
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 0, run.err  # a warning never stops the compile
    assert ("warning[shared-rwo] volumes.ckpt" in run.err) is warned, run.err


UNKNOWN_CLASS = """\
version: 1
project: {name: s, namespace: lab}
image: {ref: "python:3.11"}
volumes:
  fast: {size: 10Gi, storage_class: seaweedfs-storage-nvme, access_mode: ReadWriteMany}
workloads:
  train: {kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {fast: /fast}}
"""


def test_a_class_the_profile_does_not_know_is_not_taken_for_block_storage(tmp_path):
    """Issue 12, item 5: an unknown class got the warning AND the error "block storage cannot be
    ReadWriteMany"; nothing is known about it, so only the warning stays, and the mode written is the one given."""
    (tmp_path / "project.yaml").write_text(UNKNOWN_CLASS)
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 0, run.err
    assert "warning[storage-class] volumes.fast.storage_class" in run.err
    assert "access-mode" not in run.err and "error[" not in run.err
    assert "- ReadWriteMany" in (tmp_path / "generated" / "pvc-fast.yaml").read_text()


def test_a_known_block_class_still_refuses_read_write_many(tmp_path):
    (tmp_path / "project.yaml").write_text(UNKNOWN_CLASS.replace("seaweedfs-storage-nvme", "rook-ceph-block"))
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 1 and "error[access-mode] volumes.fast.access_mode" in run.err


def test_the_data_job_counts_as_a_user_of_a_read_write_once_volume(tmp_path):
    """Issue 12, item 8: a dataset's data Job mounts its volume too."""
    text = UNKNOWN_CLASS.replace("storage_class: seaweedfs-storage-nvme, access_mode: ReadWriteMany",
                                 "storage_class: rook-ceph-block") + \
        "datasets:\n  d:\n    source: {http: {url: 'https://h/d', sha256: " + "'" + "a" * 64 + "'}}\n    volume: fast\n"
    (tmp_path / "project.yaml").write_text(text)
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 0, run.err  # train mounts the volume but does not wait for d: a stall, not a deadlock
    assert "warning[shared-rwo] volumes.fast" in run.err and "the data Job of d" in run.err
