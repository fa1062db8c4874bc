"""`backoff_limit_per_index` means what the README says on the real Job controller (issue 12, item 3):
a point's failures use only that point's retries, and the other points go on. nautiform wrote
`backoffLimit: 2` beside `backoffLimitPerIndex`, so the third failed pod anywhere failed the whole sweep."""
from __future__ import annotations

from test_compiled import compile_copy

SWEEP = """\
version: 1
project: {name: retry, namespace: x}
image: {ref: "busybox:1.36"}
workloads:
  points:
    kind: sweep
    command: [sh, -c, "echo {i}"]
    sweep: {grid: {i: [0, 1, 2, 3]}}
    parallelism: 4
    backoff_limit_per_index: 1
    cpu: 100m
    memory: 64Mi
"""


def _index(pod: dict) -> str:
    return pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]


def _running(cluster, namespace: str, want: set[str]) -> dict:
    """Wait until a Running pod exists for every index in `want`; {index: pod name}."""
    def found():
        pods = {_index(p): p["metadata"]["name"] for p in cluster.running_pods(namespace)}
        return pods if want <= set(pods) else None
    return cluster._poll(found, 90, f"running pods for indexes {sorted(want)}")


def test_a_failing_point_uses_its_own_retries_and_the_others_complete(cluster, namespace, tmp_path):
    folder = compile_copy(tmp_path, SWEEP, namespace)
    job_text = next(folder.glob("job-points.yaml")).read_text()
    assert "backoffLimitPerIndex: 1" in job_text and "backoffLimit:" not in job_text.replace("backoffLimitPer", "")
    cluster.apply_dir(folder)

    first = _running(cluster, namespace, {"0", "1", "2", "3"})
    for index in ("0", "1", "2", "3"):  # four failed pods: more than the Job-wide backoffLimit (2) nautiform wrote
        cluster.finish_pod(first[index], namespace, exit_code=1)
    second = _running(cluster, namespace, {"0", "1", "2", "3"})  # every point gets its one retry
    assert not set(second.values()) & set(first.values())
    cluster.finish_pod(second["3"], namespace, exit_code=1)  # point 3 fails again: it is out of retries
    for index in ("0", "1", "2"):
        cluster.finish_pod(second[index], namespace)

    def finished():
        (job,) = cluster.get_json("jobs", "-n", namespace)["items"]
        done = [c for c in job["status"].get("conditions", []) if c["type"] in ("Complete", "Failed")
                and c["status"] == "True"]
        return job if done else None
    job = cluster._poll(finished, 90, "the sweep Job to finish")
    status = job["status"]
    assert status.get("completedIndexes") == "0-2", status
    assert status.get("failedIndexes") == "3", status
    (failed,) = [c for c in status["conditions"] if c["type"] == "Failed"]
    assert failed["reason"] == "FailedIndexes", failed  # not BackoffLimitExceeded: the Job-wide count
