"""Rules for services (`kind: service`: a Deployment and a Service), from NRP's policy on Deployments
(nrp-facts §1 and §9, NRP:start/policies, NRP:running/long-idle):

- nrp-service-gpu: a Deployment cannot request a GPU on Nautilus; run GPU work as a job (or an
  interactive pod).
- nrp-service-lifetime (warning): Nautilus deletes Deployments after 2 weeks (after 3 notifications; the
  data on volumes stays) unless the namespace is on its exception list.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    most = r.profile.rule("deployment_max_gpus")
    lifetime = r.profile.rule("deployment_max_days")
    out = []
    for w in r.workloads:
        if w.kind != "service":
            continue
        gpu = w.pod.get("gpu")
        if most is not None and gpu and gpu.count > most:
            out.append(diag("nrp-service-gpu", w.at("gpu") + ("count",), f"a service is a Deployment, and "
                            f"Deployments on {r.profile.name} cannot request GPUs",
                            "run GPU work as `kind: job` (or `interactive` to log in); serve from CPU",
                            workload=w.name))
        if lifetime:
            out.append(diag("nrp-service-lifetime", w.loc + ("kind",), f"{r.profile.name} deletes Deployments after "
                            f"{lifetime} days unless the namespace is excepted; the volumes and their data stay",
                            "`nautiform apply` creates it again; for longer, ask NRP support for an exception",
                            severity="warning"))
    return out
