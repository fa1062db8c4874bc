"""Whatever compiles, the API server accepts and some node can run (issue 12), by property.

1. Generated projects (tests/fuzz/projects.py, hostable=True: datasets from every source, outputs to S3
   and volumes, code over https and SSH, scratch with limits, per-index retries, every GPU form the
   simulated Nautilus can host) must compile, every pod template must fit at least one of the
   cluster's real Node objects (labels, allocatable, taints; tests/cluster/nodematch.py), and the whole
   sample must pass `kubectl apply --server-side --dry-run=server` on the local control plane.
2. GPU forms drawn from the whole profile, including ones no node has: what the profile refuses no
   simulated node runs either (the simulated nodes are a subset of the profile's node shapes).

Sizes: NAUTIFORM_FUZZ_EXAMPLES=N (default 200 projects and 300 GPU forms); README "Fuzzing" has times.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))

from harness import examples, run_in_process  # noqa: E402
from kube import documents  # noqa: E402
from nodematch import pod_specs, why_not, with_nrp_admission  # noqa: E402
from projects import STYLES, projects, to_yaml  # noqa: E402

from nautiform.builders.workloads import build  # noqa: E402
from nautiform.pipeline import compile_file  # noqa: E402

# No shrinking: one example compiles a project (and a failure prints it in full, `note`); shrinking took
# over five minutes on a loaded machine.
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None,
                phases=(Phase.explicit, Phase.generate))
BATCH = 50  # projects per kubectl call


@pytest.fixture(scope="module")
def nodes(cluster) -> list[dict]:
    return cluster.get_json("nodes")["items"]


def _unfit(pod: dict, nodes: list[dict]) -> list[str]:
    """[] when the pod fits some node, else each node's reason."""
    pod = with_nrp_admission(pod)
    reasons = [f"{n['metadata']['name']}: {why_not(pod, n)}" for n in nodes]
    return [] if any(r.endswith(": None") for r in reasons) else reasons


def test_compiled_projects_pass_the_api_server_and_fit_a_node(cluster, namespace, nodes, tmp_path):
    compiled: list[tuple[str, dict]] = []

    @settings(max_examples=examples(200), **SETTINGS)
    @given(projects(hostable=True), st.sampled_from(STYLES))
    def compile_one(project, style):
        text = to_yaml(project, style)
        note(text)
        with tempfile.TemporaryDirectory() as tmp:
            outcome = run_in_process(Path(tmp), text)
        assert outcome.code == 0, outcome.err
        docs = documents(outcome.files)
        for name, doc in docs.items():
            for pod in pod_specs(doc):
                unfit = _unfit(pod, nodes)
                assert not unfit, f"{name} fits no simulated node:\n" + "\n".join(unfit)
        event(f"{len(docs)} objects" if len(docs) < 8 else "8+ objects")
        compiled.append((text, docs))

    compile_one()
    assert len(compiled) >= min(200, examples(200)) * 0.9  # hypothesis may stop early only on a failure
    for start in range(0, len(compiled), BATCH):
        batch = compiled[start:start + BATCH]
        items = []
        for _, docs in batch:
            for doc in docs.values():
                doc["metadata"]["namespace"] = namespace
                items.append(doc)
        path = tmp_path / f"batch-{start}.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        proc = cluster.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=nautiform",
                               "-f", str(path), check=False, timeout=600)
        if proc.returncode != 0:
            named = [text for text, docs in batch if any(d["metadata"]["name"] in proc.stderr for d in docs.values())]
            pytest.fail(f"the API server refused:\n{proc.stderr[-3000:]}\nfrom:\n" + "\n---\n".join(named[:3]))


GPU_FORMS = st.fixed_dictionaries({"count": st.integers(1, 10)}, optional={
    "products": st.lists(st.sampled_from(["NVIDIA-A10", "NVIDIA-GeForce-RTX-3090", "NVIDIA-A100-SXM4-80GB",
                                          "NVIDIA-A40", "Tesla-T4", "NVIDIA-H100-80GB-HBM3"]),
                         min_size=1, max_size=2, unique=True),
    "resource": st.sampled_from(["nvidia.com/gpu", "nvidia.com/a100", "nvidia.com/a40"]),
    "min_memory": st.sampled_from(["8Gi", "24Gi", "40Gi", "80Gi", "100Gi"])})


def test_what_the_profile_refuses_no_simulated_node_runs(nodes, tmp_path):
    seen: dict = {}
    @settings(max_examples=examples(300), **SETTINGS)
    @given(GPU_FORMS, st.lists(st.sampled_from(["us-west", "us-east", "us-central", "pacific"]), max_size=2,
                               unique=True), st.sampled_from([None, "opportunistic"]))
    def one(gpu, region, priority):
        workload = {"kind": "job", "command": ["python", "t.py"], "cpu": 1, "memory": "1Gi", "gpu": gpu}
        if region:
            workload["region"] = region
        if priority:
            workload["priority_class"] = priority
        doc = {"version": 1, "project": {"name": "g", "namespace": "lab"}, "image": {"ref": "busybox:1.36"},
               "workloads": {"train": workload}}
        path = tmp_path / "project.yaml"
        path.write_text(json.dumps(doc))
        result = compile_file(path)
        refused = {d.code for d in result.diagnostics if d.severity == "error"}
        event("refused: " + ", ".join(sorted(refused)) if refused else "accepted")
        seen["refused" if refused & {"gpu-node", "nrp-gpu-count", "capacity"} else "other"] = True
        if not refused:
            return
        assert refused <= {"gpu-node", "nrp-gpu-count", "gpu-mixed-products", "nrp-gpu-quota", "capacity"}, refused
        if not refused & {"gpu-node", "nrp-gpu-count", "capacity"}:
            # Policy, not placement: nrp-gpu-quota (the nodes exist, the namespace may not use them) and
            # gpu-mixed-products (products under two resource names: one pod asks for one, so some of the
            # listed products could never be used).
            return
        for manifest in build(result.project):
            for pod in pod_specs(manifest.body):
                fits = [n["metadata"]["name"] for n in nodes if why_not(with_nrp_admission(pod), n) is None]
                assert not fits, f"refused ({refused}) but fits {fits}: {json.dumps(gpu)} {region}"

    one()
    assert seen.get("refused") and seen.get("other"), seen  # the sample holds both kinds


@pytest.mark.parametrize("char,refused", [("\x13", False), ("\x85", False), ("\x7f", True), ("\x89", True),
                                          ("\ufffe", True)])
def test_control_characters_the_server_refuses_are_refused_at_compile(cluster, namespace, tmp_path, char, refused):
    """The control-character rule refuses exactly what server-side apply cannot send."""
    doc = {"version": 1, "project": {"name": "c", "namespace": namespace, "profile": "generic"},
           "image": {"ref": "busybox:1.36"},
           "workloads": {"t": {"kind": "job", "command": ["echo"], "env": {"X": f"a{char}b"}}}}
    text = json.dumps(doc)  # JSON escapes: the file itself is valid YAML whatever the character
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_in_process(Path(tmp), text)
        assert ("error[control-character] workloads.t.env.X" in outcome.err) is refused, outcome.err
        if refused:  # compile the same object without the rule's say: the server refuses it
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cc", "namespace": namespace},
                    "data": {"x": f"a{char}b"}}
        else:
            (body,) = [d for n, d in documents(outcome.files).items() if n.startswith("job-")]
    path = tmp_path / "obj.json"
    path.write_text(json.dumps(body))
    proc = cluster.kubectl("apply", "--server-side", "--dry-run=server", "-f", str(path), check=False)
    assert (proc.returncode != 0 and "control characters are not allowed" in proc.stderr) is refused, proc.stderr
