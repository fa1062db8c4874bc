"""`nautiform plan` in a real temporary git repository."""
from __future__ import annotations

import subprocess

import pytest

from nf_testlib import ROOT, nautiform

BASE = (ROOT / "tests/cases/minimal-job/project.yaml").read_text().replace("profile: generic", "profile: nautilus")
WITH_PVC = BASE.replace("workloads:", "volumes:\n  data: {size: 10Gi, storage_class: rook-cephfs}\nworkloads:")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "project.yaml").write_text(WITH_PVC)
    assert nautiform("compile", cwd=tmp_path).code == 0
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "feature")
    return tmp_path


def plan(*args, cwd, env=None):
    """The git-only plan (no cluster: KUBECONFIG unset), as a merge request without cluster access sees it."""
    return nautiform("plan", *args, cwd=cwd, env={"KUBECONFIG": "", **(env or {})})


def change(repo, text):
    (repo / "project.yaml").write_text(text)
    assert nautiform("compile", cwd=repo).code == 0


def test_no_change(repo):
    run = plan(cwd=repo)
    assert run.code == 0 and "no changes" in run.out


def test_changed_job_is_a_replace_and_bigger_pvc_a_change(repo, tmp_path):
    change(repo, WITH_PVC.replace("10Gi", "20Gi").replace("memory: 2Gi", "memory: 3Gi"))
    run = plan("--markdown", str(tmp_path / "plan.md"), cwd=repo)
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    assert any(l.split()[:2] == ["replace", "Job"] and "replaces mnist-train-" in l for l in lines), run.out
    assert any(l.split()[:2] == ["change", "PersistentVolumeClaim"] and "10Gi -> 20Gi" in l for l in lines)
    assert "1 to replace, 1 to change" in run.out
    md = (tmp_path / "plan.md").read_text()
    assert md.startswith("### nautiform plan: 1 to replace, 1 to change") and "| replace | Job |" in md


@pytest.mark.parametrize("edit,what", [
    (lambda t: t.replace("volumes:\n  data: {size: 10Gi, storage_class: rook-cephfs}\n", ""), "removed"),
    (lambda t: t.replace("rook-cephfs", "rook-cephfs-east"), "storage class"),
    (lambda t: t.replace("storage_class: rook-cephfs}", "storage_class: rook-cephfs, access_mode: ReadOnlyMany}"),
     "access mode"),
])
def test_data_loss_is_refused_unless_allowed(repo, edit, what):
    change(repo, edit(WITH_PVC))
    run = plan(cwd=repo)
    assert run.code == 1, run.out
    assert f"DATA LOSS: PersistentVolumeClaim mnist-data {what}" in run.out
    assert "refusing" in run.err
    assert plan("--allow-data-loss", cwd=repo).code == 0


def test_removed_job_is_pruned(repo):
    text = WITH_PVC.replace("workloads:", "workloads:\n  extra:\n    kind: job\n    command: [x]\n    cpu: 1\n    memory: 1Gi")
    change(repo, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "extra")
    change(repo, WITH_PVC)
    run = plan("--base", "HEAD", cwd=repo)
    assert run.code == 0
    assert any(l.split()[:2] == ["prune", "Job"] and "mnist-extra-" in l for l in run.out.splitlines()), run.out


def test_bad_base_is_a_clear_error(repo):
    run = plan("--base", "no-such-ref", cwd=repo)
    assert run.code == 1 and "cannot resolve no-such-ref" in run.err and "Traceback" not in run.err


def test_shrink_is_not_data_loss_and_says_the_volume_stays(repo):
    change(repo, WITH_PVC.replace("10Gi", "5Gi"))
    run = plan(cwd=repo)
    assert run.code == 0, run.out + run.err
    assert "storage cannot shrink (10Gi -> 5Gi): it stays 10Gi" in run.out and "DATA LOSS" not in run.out


def test_own_volume_reused_as_existing_claim_is_no_loss(repo):
    text = WITH_PVC.replace("data: {size: 10Gi, storage_class: rook-cephfs}", "data: {existing_claim: mnist-data}")
    text = text.replace("command:", "mounts: {data: /data}\n    command:", 1)
    change(repo, text)
    run = plan(cwd=repo)
    assert run.code == 0, run.out + run.err
    assert "DATA LOSS" not in run.out


@pytest.mark.parametrize("edit,what", [
    (lambda t: t.replace("name: mnist", "name: mnist2"), "project mnist -> mnist2"),
    (lambda t: t.replace("namespace: ", "namespace: other-"), "namespace "),
])
def test_project_move_is_refused_unless_allowed(repo, edit, what):
    change(repo, edit(WITH_PVC))
    run = plan(cwd=repo)
    assert run.code == 1, run.out
    assert f"MOVE: {what}" in run.out and "EMPTY volumes" in run.out, run.out
    assert "--allow-move" in run.err
    assert plan("--allow-move", "--allow-data-loss", cwd=repo).code == 0


def test_volume_rename_is_called_out(repo):
    change(repo, WITH_PVC.replace("  data: {size", "  dataset: {size"))
    run = plan(cwd=repo)
    assert "MOVE: volume mnist-data removed and mnist-dataset added" in run.out and "starts EMPTY" in run.out, run.out
    assert run.code == 1  # the old claim is no longer declared: data loss until restored or released


def test_plan_without_cluster_says_what_it_cannot_know(repo):
    run = plan(cwd=repo, env={"KUBECONFIG": ""})
    assert "cannot know which Jobs already ran" in run.out
