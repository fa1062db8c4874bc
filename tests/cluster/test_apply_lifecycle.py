"""`nautiform apply` acts only on what it owns (issue 11), walked on the live control plane with
training pods kept Running: every assertion reads live objects and uids, not only printed text."""
from __future__ import annotations

import threading

import pytest
import yaml

from lifecycle import Project, small


@pytest.fixture
def proj(cluster, namespace, tmp_path):
    p = Project(cluster, tmp_path / "repo", namespace).write(small(namespace=namespace))
    p.apply()
    p.wait_running(3)  # train, prep and the dev pod
    return p


def test_unchanged_reapply_keeps_every_running_pod(proj):
    before = proj.uids()
    run = proj.apply()
    assert proj.uids() == before  # same Jobs, same pods: nothing pruned, nothing restarted
    assert "pruned" not in run.stdout and "kept      job/lab-train-" in run.stdout
    assert all(p["status"]["phase"] == "Running" for p in proj.cluster.pods(proj.namespace))
    assert "nautiform apply: 0 change(s)" in run.stdout


def test_another_repository_with_the_same_project_name_is_refused(proj, tmp_path):
    fork = Project(proj.cluster, tmp_path / "fork", proj.namespace, repo="gitlab.example/student/proj")
    fork.write(small(namespace=proj.namespace, train="echo other"))
    before = proj.uids("jobs,pods,configmaps,pvc")
    run = fork.apply(ok=False)
    assert run.returncode == 1
    assert "was deployed from another repository, gitlab.example/lab/proj" in run.stderr
    assert "nothing was changed" in run.stderr
    assert proj.uids("jobs,pods,configmaps,pvc") == before


def test_cross_project_name_collision_is_refused(cluster, namespace, tmp_path):
    """Project `nlp` with volume `bert-data` and project `nlp-bert` with volume `data` both name a claim
    `nlp-bert-data`: the second apply must not silently share the first one's volume."""
    first = Project(cluster, tmp_path / "a", namespace, repo="gitlab.example/a/nlp")
    first.write(small(name="nlp", namespace=namespace).replace("  data: {size", "  bert-data: {size")
                .replace("mounts: {data: /data}", "mounts: {bert-data: /data}"))
    first.apply()
    claim = cluster.get_json("pvc", "nlp-bert-data", "-n", namespace)["metadata"]["uid"]
    second = Project(cluster, tmp_path / "b", namespace, repo="gitlab.example/b/nlp-bert")
    second.write(small(name="nlp-bert", namespace=namespace))
    run = second.apply(ok=False)
    assert run.returncode == 1 and "pvc/nlp-bert-data belongs to project 'nlp'" in run.stderr, run.stderr
    assert not second.objects("jobs,pods", "nautiform.io/project=nlp-bert")
    assert cluster.get_json("pvc", "nlp-bert-data", "-n", namespace)["metadata"]["uid"] == claim


def test_concurrent_applies_never_delete_running_work(proj):
    proj.write(small(namespace=proj.namespace, train="echo train v2"))
    before = {k: v for k, v in proj.uids().items() if "train" not in k[1]}
    results = []

    def one():
        results.append(proj.apply(ok=False))
    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.returncode for r in results)
    assert set(codes) <= {0, 4} and 0 in codes, [r.stderr for r in results]
    for r in results:
        if r.returncode == 4:
            assert "another apply of project lab" in r.stderr and "nothing was changed" in r.stderr
    after = proj.uids()
    assert {k: v for k, v in after.items() if "train" not in k[1]} == before  # prep and dev untouched
    trains = [k for k in after if k[0] == "Job" and "train" in k[1]]
    assert len(trains) == 1  # exactly one new train Job, the old one pruned once
    assert proj.ledger()["runs"][trains[0][1]]["state"] == "created"


def test_a_held_lease_stops_apply_with_exit_4(proj):
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "lab-nautiform-lock", "namespace": proj.namespace},
             "spec": {"holderIdentity": "someone else", "leaseDurationSeconds": 900,
                      "acquireTime": "2099-01-01T00:00:00.000000Z", "renewTime": "2099-01-01T00:00:00.000000Z"}}
    proj.cluster.apply_yaml(yaml.safe_dump(lease), proj.namespace)
    proj.write(small(namespace=proj.namespace, train="echo changed"))
    before = proj.uids()
    run = proj.apply(ok=False)
    assert run.returncode == 4 and "someone else" in run.stderr
    assert proj.uids() == before


def test_job_deleted_by_hand_is_held_and_rerun_runs_it_again(proj):
    train = proj.job("train")
    proj.cluster.kubectl("delete", "job", train["metadata"]["name"], "-n", proj.namespace, "--wait=true")
    run = proj.apply()
    assert proj.job("train") is None  # not silently re-created
    assert f"held      job/{train['metadata']['name']}" in run.stdout and "nautiform rerun train" in run.stdout
    assert proj.ledger()["runs"][train["metadata"]["name"]]["state"] == "vanished"
    again = proj.run("rerun", "train")
    assert again.returncode == 0, again.stderr
    new = proj.job("train")
    assert new is not None and new["metadata"]["uid"] != train["metadata"]["uid"]
    assert proj.ledger()["runs"][new["metadata"]["name"]]["state"] == "created"


def test_finished_job_removed_by_ttl_is_skipped_and_rerun_refuses_a_running_one(proj):
    proj.finish("prep")
    proj.apply()  # observes the Job Complete
    prep = proj.job("prep")["metadata"]["name"]
    assert proj.ledger()["runs"][prep]["state"] == "succeeded"
    proj.cluster.kubectl("delete", "job", prep, "-n", proj.namespace)  # what its TTL does
    run = proj.apply()
    assert proj.job("prep") is None and f"skipped   job/{prep}: already ran (succeeded" in run.stdout
    busy = proj.run("rerun", "train")
    assert busy.returncode == 1 and "still running" in busy.stderr and "--stop" in busy.stderr
    assert proj.job("train")["status"].get("active") == 1


def test_lost_ledger_is_rebuilt_and_nothing_finished_runs_again(proj):
    proj.finish("prep")
    prep = proj.job("prep")["metadata"]["name"]
    proj.cluster.kubectl("delete", "job", prep, "-n", proj.namespace)  # finished, then removed by its TTL
    proj.cluster.kubectl("delete", "configmap", "lab-nautiform-ledger", "-n", proj.namespace)
    running = proj.uids()
    run = proj.apply()
    assert "ledger of lab is missing" in run.stderr
    assert proj.job("prep") is None and f"held      job/{prep}" in run.stdout
    assert proj.uids() == running
    book = proj.ledger()["runs"]
    assert book[prep]["state"] == "unknown" and book[proj.job("train")["metadata"]["name"]]["state"] == "created"
    assert proj.job("prep") is None and proj.apply().returncode == 0 and proj.job("prep") is None


def test_project_rename_is_refused_then_moves_and_orphans_are_reported(proj, tmp_path):
    old_uids = proj.uids("jobs,pods,pvc")
    proj.write(small(name="lab2", namespace=proj.namespace))
    run = proj.apply(ok=False)
    assert run.returncode == 1 and "MOVE: this repository also deployed project 'lab'" in run.stderr
    assert not proj.objects(selector="nautiform.io/project=lab2")
    run = proj.apply("--allow-move")
    assert proj.objects("pvc", "nautiform.io/project=lab2")  # a new, empty volume
    assert all(proj.objects("jobs,pods,pvc").get(k) for k in old_uids)  # the old runs and volume stay
    again = proj.apply("--allow-move")
    assert "MOVE: this repository also deployed project 'lab'" in again.stderr  # reported until cleaned up
    clean = proj.run("cleanup", "lab", "--yes")
    assert clean.returncode == 0, clean.stderr
    assert not proj.objects("jobs,configmaps", "nautiform.io/project=lab")
    (pvc,) = [o for (k, n), o in proj.objects("pvc").items() if n == "lab-data"]
    assert "nautiform.io/project" not in pvc["metadata"].get("labels", {})  # released, data kept
    assert "MOVE" not in proj.apply().stderr


def test_hand_expanded_volume_is_kept_not_a_failure(proj):
    proj.cluster.kubectl("patch", "pvc", "lab-data", "-n", proj.namespace, "--type=merge",
                         "-p", '{"spec":{"resources":{"requests":{"storage":"5Gi"}}}}')
    run = proj.apply()
    assert "pvc/lab-data is 5Gi on the cluster, project.yaml says 1Gi" in run.stderr
    claim = proj.cluster.get_json("pvc", "lab-data", "-n", proj.namespace)
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_removed_volume_is_refused_with_release_not_delete(proj):
    proj.write(small(namespace=proj.namespace).replace("volumes:\n  data: {size: 1Gi, storage_class: rook-cephfs, access_mode: ReadWriteMany}\n",
                                                       "").replace("  mounts: {data: /data}\n", ""))
    run = proj.apply(ok=False)
    assert run.returncode == 1 and "DATA LOSS: PersistentVolumeClaim lab-data removed" in run.stderr
    assert "nautiform release pvc lab-data" in run.stderr and "kubectl delete" not in run.stderr
    assert "still mounted by" in run.stderr
    released = proj.run("release", "pvc", "lab-data")
    assert released.returncode == 0, released.stderr
    assert proj.apply().returncode == 0
    claim = proj.cluster.get_json("pvc", "lab-data", "-n", proj.namespace)
    assert "nautiform.io/project" not in claim["metadata"].get("labels", {})


def test_hand_made_objects_are_left_alone_and_never_adopted(cluster, namespace, tmp_path):
    cluster.apply_yaml(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: notes, labels: {{nautiform.io/project: lab}}}}
data: {{a: b}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: lab-data}}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: rook-cephfs
  resources: {{requests: {{storage: 1Gi}}}}
""", namespace, server_side=False)
    colleague = cluster.get_json("pvc", "lab-data", "-n", namespace)["metadata"]["uid"]
    p = Project(cluster, tmp_path / "repo", namespace).write(small(namespace=namespace))
    run = p.apply(ok=False)
    assert run.returncode == 1 and "pvc/lab-data exists but was not created by nautiform" in run.stderr
    assert "kubectl -n" in run.stderr and "annotate pvc lab-data nautiform.io/repo=" in run.stderr
    assert not p.objects("jobs,pods")  # refused before any change
    cluster.kubectl("delete", "pvc", "lab-data", "-n", namespace)
    run = p.apply()
    assert "left alone: configmap/notes has the project label but was not created by nautiform" in run.stdout
    assert cluster.get_json("configmap", "notes", "-n", namespace)["data"] == {"a": "b"}
    assert cluster.get_json("pvc", "lab-data", "-n", namespace)["metadata"]["uid"] != colleague


def test_expired_dev_pod_is_recreated_and_a_replaced_one_is_announced(proj):
    (dev,) = proj.cluster.pods(proj.namespace, "nautiform.io/workload=dev")
    proj.cluster.finish_pod(dev["metadata"]["name"], proj.namespace, exit_code=137, reason="DeadlineExceeded",
                            message="Pod was active on the node longer than the specified deadline")
    run = proj.apply()
    assert f"recreated pod/{dev['metadata']['name']}: it ended (DeadlineExceeded)" in run.stdout
    (new,) = proj.cluster.pods(proj.namespace, "nautiform.io/workload=dev")
    assert new["metadata"]["uid"] != dev["metadata"]["uid"]
    proj.cluster._poll(lambda: proj.cluster.running_pods(proj.namespace, "nautiform.io/workload=dev"), 60, "dev")
    proj.write(small(namespace=proj.namespace).replace("memory: 64Mi", "memory: 96Mi"))  # an input of the pod
    dry = proj.run("apply", "--dry-run")
    assert "THE RUNNING SESSION ENDS" in dry.stdout, dry.stdout


def test_dry_run_with_an_account_without_delete_says_so_and_a_real_apply_reports_what_was_not_done(proj, tmp_path):
    ns = proj.namespace
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "no-delete"},
            "rules": [{"apiGroups": ["", "batch", "coordination.k8s.io"],
                       "resources": ["jobs", "pods", "configmaps", "persistentvolumeclaims", "leases"],
                       "verbs": ["get", "list", "watch", "create", "patch", "update"]},
                      {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["delete"]},
                      {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews"],
                       "verbs": ["create"]}]}
    proj.cluster.apply_yaml(yaml.safe_dump(role), ns)
    proj.cluster.kubectl("create", "serviceaccount", "deployer", "-n", ns)
    proj.cluster.kubectl("create", "rolebinding", "deployer", "--role=no-delete", f"--serviceaccount={ns}:deployer",
                         "-n", ns)
    kubeconfig = service_account_kubeconfig(proj.cluster, ns, "deployer", tmp_path)
    proj.write(small(namespace=ns, train="echo train v2"))
    old_train = proj.job("train")["metadata"]["name"]
    dry = proj.run("apply", "--dry-run", env={"KUBECONFIG": str(kubeconfig)})
    assert dry.returncode == 1 and "not allowed to delete jobs.batch" in dry.stderr, dry.stdout + dry.stderr
    run = proj.run("apply", env={"KUBECONFIG": str(kubeconfig)})
    assert run.returncode == 1
    assert "created   job/lab-train-" in run.stdout  # reported as it happened
    assert f"NOT done: job/{old_train} (prune)" in run.stderr
    names = [j["metadata"]["name"] for j in proj.cluster.get_json("jobs", "-n", ns, "-l",
                                                                 "nautiform.io/workload=train")["items"]]
    assert len(names) == 2 and old_train in names  # the truth on the cluster matches the report


def service_account_kubeconfig(cluster, namespace: str, sa: str, tmp_path):
    token = cluster.kubectl("create", "token", sa, "-n", namespace).stdout.strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    server = admin["clusters"][0]["cluster"]
    config = {"apiVersion": "v1", "kind": "Config",
              "clusters": [{"name": "c", "cluster": server}],
              "users": [{"name": sa, "user": {"token": token}}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": sa, "namespace": namespace}}],
              "current-context": "c"}
    path = tmp_path / f"{sa}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def test_bad_kubectl_path_is_one_clear_line(proj):
    run = proj.run("apply", env={"NAUTIFORM_KUBECTL": "/nonexistent/kubectl"})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == ("error: kubectl not found at /nonexistent/kubectl (set by NAUTIFORM_KUBECTL); "
                                  "fix or unset that variable")


def test_files_of_different_projects_are_refused(proj):
    other = (proj.path / "generated" / "job-prep.yaml").read_text().replace("nautiform.io/project: lab",
                                                                             "nautiform.io/project: other")
    (proj.path / "generated" / "job-prep.yaml").write_text(other)
    run = proj.apply(ok=False)
    assert run.returncode == 1 and "files name different projects or namespaces" in run.stderr


def test_plan_with_cluster_access_shows_what_apply_then_does(proj):
    import subprocess as sp

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        sp.run(["git", *args], cwd=proj.path, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"})
    proj.finish("prep")
    proj.write(small(namespace=proj.namespace, train="echo train v2"))
    plan = proj.run("plan", "--base", "HEAD", "--cluster")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    live = plan.stdout.split("on the cluster", 1)[1].splitlines()[1:]
    planned = {tuple(l.split(":")[0].split()) for l in live if l.startswith("  ")}
    run = proj.apply()
    past = {"created": "create", "pruned": "prune", "kept": "keep", "unchanged": "unchanged", "skipped": "skip",
            "held": "hold", "updated": "update", "recreated": "recreate", "released": "release"}
    done = {(past[l.split()[0]], l.split()[1].rstrip(":")) for l in run.stdout.splitlines()
            if l.startswith("  ") and l.split()[0] in past}
    assert {p for p in planned if p[0] != "unchanged"} == {d for d in done if d[0] != "unchanged"}, (plan.stdout,
                                                                                                       run.stdout)
    prep = proj.job("prep")["metadata"]["name"]
    assert any(v == "prune" and "lab-train-" in n for v, n in planned) and ("keep", f"job/{prep}") in planned


def test_a_new_ttl_changes_the_live_job_in_place_and_restarts_nothing(proj):
    before = proj.uids()
    proj.write(small(namespace=proj.namespace).replace("  prep:\n", "  prep:\n    ttl_after_finished: 1d\n"))
    run = proj.apply()
    prep = proj.job("prep")
    assert prep["spec"]["ttlSecondsAfterFinished"] == 86400 and proj.uids() == before, run.stdout
    assert f"patched   job/{prep['metadata']['name']}: the same run; changed in place: ttlSecondsAfterFinished" \
           in run.stdout
