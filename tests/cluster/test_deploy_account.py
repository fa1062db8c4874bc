"""Least privilege (issue 16.5): the account `nautiform rbac` writes deploys, prunes and re-runs on the
live control plane, and cannot delete a volume. The KUBECONFIG is built by the README's own recipe."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from lifecycle import BIN, Project, small

ROOT = Path(__file__).resolve().parents[2]


def readme_recipe() -> str:
    text = (ROOT / "README.md").read_text()
    return re.search(r"<!-- rbac-recipe:[^\n]*-->\n```sh\n(.*?)```", text, re.S).group(1)


def test_the_deploy_account_applies_prunes_reruns_and_cannot_delete_a_volume(cluster, namespace, tmp_path):
    admin = Project(cluster, tmp_path / "repo", namespace).write(small(namespace=namespace))
    server = re.search(r"server: (\S+)", cluster.kubeconfig.read_text()).group(1)
    recipe = readme_recipe()
    recipe = re.sub(r"^ns=\S+", f"ns={namespace}", recipe, flags=re.M)
    recipe = re.sub(r"^server=\S+", f"server={server}", recipe, flags=re.M)
    env = {**os.environ, "PATH": f"{Path(cluster.kubectl_bin).parent}:{BIN}:{os.environ['PATH']}",
           "KUBECONFIG": str(cluster.kubeconfig), "NAUTIFORM_REPO": admin.repo, "NAUTIFORM_KUBECTL": cluster.kubectl_bin}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=admin.path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and "not allowed" not in run.stderr, run.stdout + run.stderr
    kubeconfig = admin.path / "deploy.kubeconfig"
    assert "client-certificate" not in kubeconfig.read_text()  # the account's token, not the admin's keys
    deploy = {"KUBECONFIG": str(kubeconfig)}

    # First deploy, then a removed job pruned, then a run re-run: all as the deploy account.
    first = admin.apply(env=deploy)
    assert re.search(r"created\s+pvc/lab-data", first.stdout), first.stdout
    admin.wait_running(3)
    prep = admin.job("prep")["metadata"]["name"]
    admin.write(small(namespace=namespace).replace('  prep:\n    kind: job\n    command: [sh, -c, "echo prep"]\n', ""))
    dry = admin.run("apply", "--dry-run", env=deploy)
    assert dry.returncode == 0 and "not allowed" not in dry.stderr, dry.stdout + dry.stderr
    pruned = admin.apply(env=deploy)
    assert f"pruned    job/{prep}" in pruned.stdout, pruned.stdout
    assert admin.job("prep") is None
    train = admin.job("train")["metadata"]["uid"]
    rerun = admin.run("rerun", "train", "--stop", env=deploy)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert admin.job("train")["metadata"]["uid"] != train

    # The volume cannot be deleted with this account, whatever nautiform's code does.
    kubectl = [cluster.kubectl_bin, "--kubeconfig", str(kubeconfig), "-n", namespace]
    gone = subprocess.run([*kubectl, "delete", "pvc", "lab-data", "--wait=false"], capture_output=True, text=True)
    assert gone.returncode != 0 and "Forbidden" in gone.stderr and "cannot delete resource" in gone.stderr, gone.stderr
    can = subprocess.run([*kubectl, "auth", "can-i", "delete", "persistentvolumeclaims"], capture_output=True, text=True)
    assert can.stdout.strip() == "no"
    assert cluster.get_json("pvc", "lab-data", "-n", namespace)["metadata"].get("deletionTimestamp") is None
