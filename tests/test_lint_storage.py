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
