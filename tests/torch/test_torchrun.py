"""A real torchrun rendezvous on CPU with exactly the environment `nodes: N` compiles (multinode.env).

Opt-in (`pytest -m torch tests/torch`): PyTorch comes from tests/torch/install (5.4 GB with the CUDA
libraries PyPI's wheel pulls). Two "nodes" are two torchrun processes on this machine; the one thing
changed from the compiled environment is rank 0's DNS name (`<job>-0.<service>`, served by the
cluster's DNS), mapped to 127.0.0.1. No torchrun flag is given: the PET_ variables are the whole
configuration. Each worker joins a gloo process group and all-reduces its rank + 1.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nautiform import multinode

pytestmark = pytest.mark.torch
HERE = Path(__file__).resolve().parent
WORKER = """
import os, torch, torch.distributed as dist
dist.init_process_group("gloo")
t = torch.tensor([dist.get_rank() + 1.0])
dist.all_reduce(t)
with open(os.path.join(os.environ["OUT"], f"rank{dist.get_rank()}"), "w") as fh:
    fh.write(f"{dist.get_world_size()} {int(t.item())} {os.environ['GROUP_RANK']} {os.environ['LOCAL_RANK']}")
dist.destroy_process_group()
"""


@pytest.fixture(scope="module")
def torch_python() -> str:
    proc = subprocess.run([str(HERE / "install")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_env(run: multinode.MultiNode, rank: int) -> dict:
    """The container's environment as the kubelet would give rank `rank`'s pod."""
    out = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUNBUFFERED": "1"}
    for e in multinode.env(run):
        value = e["value"] if "value" in e else str(rank)  # the completion-index annotation
        out[e["name"]] = "127.0.0.1" if value == multinode.master_addr(run) else value
    return out


def torchrun(python, run, rank, script, out):
    return subprocess.Popen([python, "-m", "torch.distributed.run", str(script)],
                            env={**node_env(run, rank), "OUT": str(out)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_nodes_rendezvous_with_the_compiled_env(torch_python, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    run = multinode.MultiNode(job="lab-train-1a2b", service="lab-train-1a2b", namespace="ns", nodes=2,
                              gpus_per_node=2, port=free_port(), rdzv_timeout=120)
    # rank 1 starts first: a worker node coming up before the master must wait, not fail
    late = torchrun(torch_python, run, 1, script, tmp_path)
    time.sleep(3)
    first = torchrun(torch_python, run, 0, script, tmp_path)
    for proc in (first, late):
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0, out[-3000:]
    results = {p.name: p.read_text() for p in tmp_path.glob("rank*")}
    # 2 nodes x 2 processes: world 4, sum of rank+1 = 10; global ranks 0,1 on node 0 and 2,3 on node 1
    assert results == {"rank0": "4 10 0 0", "rank1": "4 10 0 1", "rank2": "4 10 1 0", "rank3": "4 10 1 1"}


def test_rendezvous_timeout_ends_a_rank_whose_master_never_comes(torch_python, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    run = multinode.MultiNode(job="lab-train-1a2b", service="lab-train-1a2b", namespace="ns", nodes=2,
                              gpus_per_node=0, port=free_port(), rdzv_timeout=10)
    start = time.monotonic()
    proc = torchrun(torch_python, run, 1, script, tmp_path)
    out, _ = proc.communicate(timeout=180)
    took = time.monotonic() - start
    assert proc.returncode != 0 and not list(tmp_path.glob("rank*"))
    assert "timed out" in out.lower() or "timeout" in out.lower(), out[-3000:]
    assert 10 <= took < 60, (took, out[-2000:])
