"""The real pipeline: the `.gitlab-ci.yml` that `nautiform init` writes - an `include: component:` of
templates/pipeline.yml at nautiform's version, fetched by gitlab-ci-local from a local git server as
from GitLab - run by gitlab-ci-local (shell executor) on a test project, with a real image build
(buildah, FROM scratch), a local registry (docker-registry) and the local control plane. A sequence of
commits, each checked on the cluster afterwards."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
from cluster_harness import start_cluster  # noqa: E402

from nautiform import __version__  # noqa: E402

pytestmark = pytest.mark.pipeline
BIN = Path(sys.executable).parent
GIT_ENV = {"GIT_AUTHOR_NAME": "researcher", "GIT_AUTHOR_EMAIL": "r@lab", "GIT_COMMITTER_NAME": "researcher",
           "GIT_COMMITTER_EMAIL": "r@lab"}

PROJECT = """\
version: 1
project: {{name: pipe, namespace: {namespace}, owner: ci-test}}
image:
  build: {{repository: {registry}/lab/pipe, context: ., dockerfile: Dockerfile}}
volumes:
{volumes}
defaults:
  cpu: 100m
  memory: 64Mi
workloads:
{prep}
  search:
    kind: sweep
    command: [python, train.py, --lr, "{{lr}}"]
    sweep:
      grid: {{lr: [{lrs}]}}
    parallelism: 2
"""
PREP = """  prep:
    kind: job
    command: [python, prep.py]
    mounts: {results: /results}"""


def render(namespace, registry, pvc="1Gi", lrs="0.1, 0.01", prep=True):
    volumes = f"  results: {{size: {pvc}, storage_class: rook-cephfs}}" if pvc else "  {}"
    text = PROJECT.format(namespace=namespace, registry=registry, volumes=volumes, lrs=lrs,
                          prep=PREP if prep else "")
    return text.replace("volumes:\n  {}\n", "") if not pvc else text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    port = free_port()
    folder = tmp_path_factory.mktemp("registry")
    (folder / "config.yml").write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {folder}/data\n"
                                       f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(folder / "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def cluster():
    return start_cluster()


class Project:
    def __init__(self, path: Path, gcl: str, cluster, registry: str, namespace: str):
        self.path, self.gcl, self.cluster, self.registry, self.namespace = path, gcl, cluster, registry, namespace

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True,
                              env={**os.environ, **GIT_ENV}).stdout

    def commit(self, text: str, message: str) -> None:
        (self.path / "project.yaml").write_text(text)
        run = subprocess.run([str(BIN / "nautiform"), "compile"], cwd=self.path, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        self.git("add", "-A")
        self.git("commit", "-qm", message)

    def pipeline(self) -> subprocess.CompletedProcess:
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GCL_IGNORE_PREDEFINED_VARS": "CI_REGISTRY"}
        return subprocess.run([self.gcl, "--force-shell-executor", "--no-color", "--concurrency", "1"],
                              cwd=self.path, env=env, capture_output=True, text=True, timeout=600)

    def get(self, kind: str, selector: str = "nautiform.io/project=pipe") -> list[dict]:
        return self.cluster.get_json(kind, "-n", self.namespace, "-l", selector)["items"]

    def jobs(self) -> dict[str, dict]:
        return {j["metadata"]["labels"]["nautiform.io/workload"]: j for j in self.get("jobs")}


def results(run) -> dict[str, str]:
    """Job name -> PASS/FAIL from gitlab-ci-local's summary."""
    out = {}
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("PASS", "FAIL"):
            out[parts[1]] = parts[0]
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory, gitlab_ci_local, component_server, cluster, registry):
    from nautiform.commands.init import COMPONENT, template

    with cluster.namespace("pipe") as namespace:
        path = tmp_path_factory.mktemp("project")
        p = Project(path, gitlab_ci_local, cluster, registry, namespace)
        p.git("init", "-q", "-b", "main")
        p.git("remote", "add", "origin", component_server.url("lab/pipe"))  # the component's GitLab
        # What init writes, choosing buildah (kaniko needs a container engine).
        ci = template("gitlab-ci.yml").format(component=COMPONENT, version=__version__) + "      builder: buildah\n"
        (path / ".gitlab-ci.yml").write_text(ci)
        (path / "Dockerfile").write_text("FROM scratch\nCOPY train.py prep.py /app/\n")
        (path / "train.py").write_text("print('training')\n")
        (path / "prep.py").write_text("print('preparing')\n")
        (path / ".dockerignore").write_text("generated\nproject.yaml\n.gitlab-ci.yml\n")
        (path / ".gitignore").write_text(".gitlab-ci-local*\n.nautiform/\n")
        (path / ".gitlab-ci-local-variables.yml").write_text(
            f"KUBECONFIG: {cluster.kubeconfig}\nCI_REGISTRY: {registry}\nNAUTIFORM_REGISTRY_INSECURE: 'true'\n")
        yield p


def test_pipeline_sequence(project):
    p = project
    # 1. First deploy: image built and pushed, PVC bound, every Job and sweep index complete.
    p.commit(render(p.namespace, p.registry), "first")
    run = p.pipeline()
    assert results(run) == {"check": "PASS", "build:buildah": "PASS", "plan": "PASS", "deploy": "PASS"}, run.stdout
    fetched = p.path / f".gitlab-ci-local/includes/127.0.0.1/nautiform/nautiform/{__version__}/templates/pipeline.yml"
    assert fetched.read_text() == (ROOT / "templates/pipeline.yml").read_text()  # the component, at the tag
    assert json.loads((p.path / ".nautiform/codequality.json").read_text()) == []  # the check job's report
    assert "NAUTIFORM_GITLAB_TOKEN is not set: no merge-request note" in run.stdout
    assert "NAUTIFORM_IMAGE_EXISTS=false" in run.stdout and "build skipped" not in run.stdout
    image = next(l for l in (p.path / "generated/job-prep.yaml").read_text().splitlines() if "image:" in l).split()[-1]
    repo, tag = image.rsplit(":", 1)
    name = repo.split("/", 1)[1]
    req = urllib.request.Request(f"http://{p.registry}/v2/{name}/manifests/{tag}", method="HEAD", headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"})
    assert urllib.request.urlopen(req).status == 200
    p.cluster._poll(lambda: all(c["status"].get("phase") == "Bound" for c in p.get("pvc")), 60, "PVC bound")
    # prep and both sweep points are training now, for days as far as the test is concerned.
    running = p.cluster._poll(lambda: (lambda r: r if len(r) == 3 else None)(p.cluster.running_pods(p.namespace)),
                              60, "3 Running pods")
    first = p.jobs()

    # 2. Same commit again: the image is not rebuilt, nothing is re-created, and no running pod is touched.
    run = p.pipeline()
    assert "NAUTIFORM_IMAGE_EXISTS=true" in run.stdout and "already exists: build skipped" in run.stdout, run.stdout
    assert results(run)["deploy"] == "PASS" and "pruned" not in run.stdout, run.stdout
    assert {k: j["metadata"]["uid"] for k, j in p.jobs().items()} == {k: j["metadata"]["uid"] for k, j in first.items()}
    still = {pod["metadata"]["uid"]: pod["status"]["phase"] for pod in p.get("pods")}
    assert still == {pod["metadata"]["uid"]: "Running" for pod in running}
    p.cluster.run_jobs_to_completion(p.namespace)
    assert p.jobs()["search"]["spec"]["completions"] == 2 and p.jobs()["search"]["status"]["succeeded"] == 2

    # 3. A new sweep value: only the new point runs; the two done ones are not run again (issue 13).
    p.commit(render(p.namespace, p.registry, lrs="0.1, 0.01, 0.001"), "more sweep values")
    run = p.pipeline()
    assert results(run)["deploy"] == "PASS", run.stdout
    assert "sweep: 1 new point(s), 2 unchanged (not run again)" in run.stdout, run.stdout
    searches = [j for j in p.get("jobs") if j["metadata"]["labels"]["nautiform.io/workload"] == "search"]
    new = [j for j in searches if j["metadata"]["uid"] != first["search"]["metadata"]["uid"]]
    assert len(searches) == 2 and len(new) == 1 and new[0]["spec"]["completions"] == 1
    assert new[0]["spec"]["template"]["metadata"]["annotations"]["nautiform.io/points"] == "2"
    p.cluster.run_jobs_to_completion(p.namespace)

    # 4. A bigger PVC: resized in place.
    p.commit(render(p.namespace, p.registry, pvc="2Gi", lrs="0.1, 0.01, 0.001"), "bigger volume")
    assert results(p.pipeline())["deploy"] == "PASS"
    (pvc,) = p.get("pvc")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "2Gi"

    # 5. Jobs removed by their TTL are not re-created on the next deploy: the ledger has every point.
    for j in p.get("jobs", "nautiform.io/workload=search"):
        p.cluster.kubectl("delete", "job", j["metadata"]["name"], "-n", p.namespace)
    run = p.pipeline()
    assert "sweep search: no new points (3 already done)" in run.stdout, run.stdout
    assert "search" not in p.jobs()

    # 6. A removed job is pruned.
    p.commit(render(p.namespace, p.registry, pvc="2Gi", lrs="0.1, 0.01, 0.001", prep=False), "drop prep")
    run = p.pipeline()
    assert results(run)["deploy"] == "PASS", run.stdout
    assert "prep" not in p.jobs()

    # 7. A removed PVC is stopped before deploy (the check stage's dry-run already refuses), and the PVC
    #    is still there.
    p.commit(render(p.namespace, p.registry, pvc="", lrs="0.1, 0.01, 0.001", prep=False), "drop the volume")
    run = p.pipeline()
    assert results(run) == {"check": "FAIL"}, run.stdout
    log = (p.path / ".gitlab-ci-local/output/check.log").read_text()  # the whole job log, stderr included
    assert "DATA LOSS: PersistentVolumeClaim pipe-results removed" in log, log
    assert "nautiform release pvc pipe-results" in log and "kubectl delete" not in log
    assert [c["metadata"]["name"] for c in p.get("pvc")] == ["pipe-results"]
