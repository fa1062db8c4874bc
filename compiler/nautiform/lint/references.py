"""Reference rules: every name that points at another part of project.yaml must resolve, and what a
dataset needs must be there. Without them the build would mount a volume or read a dataset that is not.

- unknown-volume: a mount, a dataset's `volume` or an `outputs.to: volume://` names no declared volume.
- unknown-dataset: a workload lists a dataset not declared under `datasets`.
- dataset-mount: a workload reads a volume dataset but does not mount its volume.
- dataset-scratch: a workload reads a scratch dataset but has no `scratch`.
- s3-credentials: an S3 (or GCS) source needs a Secret or `anonymous: true`.
- s3-endpoint: an S3 source without `endpoint` on a profile that has none.
- unknown-value: `value_env` names a value not declared under `values`.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out: list = []
    declared = f"declared volumes: {', '.join(r.project.volumes) or 'none'}"
    for name, ds in r.project.datasets.items():
        loc = ("datasets", name)
        if ds.volume is not None and ds.volume not in r.volumes:
            out.append(diag("unknown-volume", loc + ("volume",), f"dataset {name!r} goes to volume "
                            f"{ds.volume!r}, which is not declared under `volumes`", declared))
        s3 = ds.source.s3
        gcs = ds.source.gcs
        if gcs and not gcs.anonymous and not gcs.credentials:
            out.append(diag("s3-credentials", loc + ("source", "gcs"), "a GCS source needs `credentials` (a Secret "
                            "with an HMAC key) or `anonymous: true`",
                            "create an HMAC key for a service account (Cloud Storage > Settings > Interoperability), "
                            "then kubectl create secret generic gcs-hmac --from-literal=AWS_ACCESS_KEY_ID=... "
                            "--from-literal=AWS_SECRET_ACCESS_KEY=..."))
        if s3 and not s3.endpoint and not r.profile.s3_endpoint():
            out.append(diag("s3-endpoint", loc + ("source", "s3"), f"profile {r.profile.name} has no S3 endpoint",
                            "set source.s3.endpoint"))
        if s3 and not s3.anonymous and not s3.credentials:
            out.append(diag("s3-credentials", loc + ("source", "s3"), "an S3 source needs `credentials` "
                            "(a Secret name) or `anonymous: true`",
                            "kubectl create secret generic s3-creds --from-literal=AWS_ACCESS_KEY_ID=... "
                            "--from-literal=AWS_SECRET_ACCESS_KEY=..."))
    for w in r.workloads:
        for vol_name in sorted(w.pod.get("mounts") or {}):
            if vol_name not in r.volumes:
                out.append(diag("unknown-volume", w.at(f"mounts.{vol_name}"), f"mounts volume {vol_name!r}, "
                                "which is not declared under `volumes`", declared, workload=w.name))
        outputs = getattr(w.spec, "outputs", None)
        if outputs and outputs.volume_target and outputs.volume_target[0] not in r.volumes:
            out.append(diag("unknown-volume", w.loc + ("outputs", "to"), f"outputs go to volume "
                            f"{outputs.volume_target[0]!r}, which is not declared under `volumes`", declared))
        out += _datasets(r, w)
        for env, value in sorted((w.pod.get("value_env") or {}).items()):
            if value not in r.project.values:
                out.append(diag("unknown-value", w.origin.get(f"value_env.{env}", w.at("value_env")), f"value "
                                f"{value!r} is not declared under `values`", f"declared: "
                                f"{', '.join(r.project.values) or 'none'}; add `values: {{{value}: {{}}}}`",
                                workload=w.name))
    return out


def _datasets(r, w) -> list:
    out = []
    mounts = w.pod.get("mounts") or {}
    for i, name in enumerate(w.pod.get("datasets") or []):
        loc = w.at("datasets") + (i,)
        ds = r.project.datasets.get(name)
        if ds is None:
            out.append(diag("unknown-dataset", loc, f"dataset {name!r} is not declared under `datasets`",
                            f"declared: {', '.join(r.project.datasets) or 'none'}", workload=w.name))
        elif ds.volume is not None and ds.volume not in mounts:
            out.append(diag("dataset-mount", loc, f"dataset {name!r} is on volume {ds.volume!r}, which "
                            f"this workload does not mount", f"add `mounts: {{{ds.volume}: /data}}`",
                            workload=w.name))
        elif ds.volume is None and w.pod.get("scratch") is None:
            out.append(diag("dataset-scratch", loc, f"dataset {name!r} is staged into scratch, but this "
                            "workload has no `scratch`", "add `scratch: {size: 100Gi}`", workload=w.name))
    return out
