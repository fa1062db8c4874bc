"""Stage 3 (second half), derive: every name, path and number that more than one place needs, computed
once and carried on the resolved records. Builders render these; lint rules judge them.

A name derived in two places drifted once: a long volume was `vol-<name>` in the data init container
and the shortened `object_name("vol", name)` in the pod, so the pod mounted a volume that did not
exist (issue 12, item 7). So volume names, claim names, mount paths, ConfigMap names, dataset
destinations, the GPU resource name and the effective requests/limits all come from here.
"""
from __future__ import annotations

import json
from collections import namedtuple
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from . import launcher, quantity
from .expand import MAX_POINTS, Sweep, expand
from .names import digest, object_name

DATA_MOUNT = "/etc/nautiform/data"
DATA_SCRIPT = f"{DATA_MOUNT}/nautiform_data.py"
DATA_VOLUME = "nautiform-data"
OUTPUTS_MOUNT = "/mnt/outputs"
CODE_VOLUME = "code"
SSH_MOUNT = "/etc/nautiform/ssh"
S3CFG_MOUNT = "/etc/nautiform/s3cfg"  # an s3cmd config from a Secret; the data runtime reads its keys
S3CFG_VOLUME = "s3cfg"
RESOURCE_KEYS = (("cpu", "cpu"), ("memory", "memory"), ("ephemeral_storage", "ephemeral-storage"))


class Volume(namedtuple("Volume", "name claim pod_name create storage_class access_mode mode_known size")):
    """A declared volume: `claim` is the PVC's name, `pod_name` the name of the pod volume that mounts
    it (a DNS label of at most 63 characters), `mode_known` whether the profile knows the class's mode."""

    __slots__ = ()

    @property
    def loc(self) -> tuple:
        return ("volumes", self.name)


class Mount(namedtuple("Mount", "name path loc source read_only sub_path", defaults=("",))):
    """One volume mounted in the main container: pod volume `name` at normalised `path`; `loc` is the
    key in project.yaml that put it there; `source` the pod volume's body ({"emptyDir": {}} ...);
    `sub_path` one key of it (a repository file mounted as a single file)."""

    __slots__ = ()


class Dataset(namedtuple("Dataset", "name volume dest spec env verb pushed")):
    """A dataset as the pods see it: `volume` (a Volume, or None for scratch), `dest` the path under
    the volume's mount or the scratch path, `spec` the runtime's spec as JSON text (on the command line
    of the containers that fetch or wait for it: part of their template, so of their identity), `env`
    DATASET_<NAME>, `verb` wait | stage, `pushed` True when `nautiform data push` fills it (no data Job)."""

    __slots__ = ()


class Resource(namedtuple("Resource", "request limit scratch")):
    """Effective numbers for one resource (Fractions or None): the size of scratch and of the sized disk
    `empty_dirs` (`scratch`, their sum) is part of both the ephemeral-storage request and limit, so every
    check sees what the cluster will see."""

    __slots__ = ()


def volumes(project, profile) -> Mapping[str, Volume]:
    out = {}
    for name, vol in project.volumes.items():
        create = vol.existing_claim is None
        cls = profile.storage_class(vol.storage_class) if create else None
        natural = profile.access_mode(cls) if create else None
        out[name] = Volume(name, vol.existing_claim or object_name(project.project.name, name),
                           object_name("vol", name), create, cls, vol.access_mode or natural or "ReadWriteOnce",
                           natural is not None, vol.size)
    return MappingProxyType(out)


def runtime_spec(project, profile, name: str, endpoint_key: str = "inside") -> dict:
    """What runtime/nautiform_data.py reads for one dataset (also `nautiform data fetch`, from outside)."""
    from .settings import GCS_ENDPOINT

    ds = project.datasets[name]
    kind = ds.source.kind
    src = getattr(ds.source, kind).as_dict(drop_none=True)
    secret = src.pop("credentials", None) or src.pop("token", None)
    for how in ("credential_keys", "s3cfg"):  # how the pod gets the keys, not what is fetched
        src.pop(how, None)
    if kind == "http" and not src.get("unverified"):
        src.pop("unverified", None)  # the spec (and so the marker's identity) of a checked file stays as it was
    if kind == "gcs":  # GCS's XML API is S3 with HMAC keys: the runtime fetches it as S3
        kind, src["endpoint"] = "s3", GCS_ENDPOINT
    if kind == "s3" and not src.get("endpoint"):
        src["endpoint"] = profile.s3_endpoint(endpoint_key)
    spec = {"name": name, "source": {"type": kind, **src}, "unpack": ds.unpack}
    if ds.flatten:
        spec["flatten"] = True
    if secret:
        spec["source"]["secret"] = secret
    return spec


def runtime_configmap(project, runtime: Mapping[str, str]) -> tuple[str, dict] | None:
    """(name, data) of the ConfigMap shipping nautiform's runtime into pods, or None when no pod needs it.
    It holds code only, and only the programs the project uses: the data runtime (datasets, outputs);
    the gate (a run that waits for another: a volume dataset's data Job, `after:`); the search driver
    (which reuses the gate's API client). A dataset's spec travels on its containers' command lines, so a
    new dataset or a new nautiform renames this ConfigMap and nothing else (issue 13)."""
    workloads = project.workloads.values()
    searches = any(w.kind == "sweep" and w.sweep.search is not None for w in workloads)
    waits = any(getattr(w, "after", None) for w in workloads) or any(
        ds.volume is not None and ds.source.push is None for ds in project.datasets.values())
    if not (project.datasets or waits or searches or any(getattr(w, "outputs", None) for w in workloads)):
        return None
    wanted = {"nautiform_data.py"} | ({"nautiform_gate.py"} if waits or searches else set()) | \
        ({"nautiform_search.py"} if searches else set())
    data = {name: text for name, text in sorted(runtime.items()) if name in wanted}
    return object_name(project.project.name, "nautiform-runtime", suffix=digest(data)), data


def datasets(project, profile, vols: Mapping[str, Volume]) -> Mapping[str, Dataset]:
    out = {}
    for name, ds in project.datasets.items():
        vol = vols.get(ds.volume) if ds.volume is not None else None
        rel = ds.path or (f"datasets/{name}" if ds.volume is not None else name)
        spec = json.dumps(runtime_spec(project, profile, name), sort_keys=True, separators=(",", ":"))
        out[name] = Dataset(name, vol, rel, spec, "DATASET_" + name.upper().replace("-", "_"),
                            "wait" if ds.volume is not None else "stage", ds.source.push is not None)
    return MappingProxyType(out)


def gpu_resource(pod: dict, profile) -> str | None:
    gpu = pod.get("gpu")
    if not gpu or gpu.count == 0:
        return None
    return gpu.resource or profile.gpu_resource(gpu.products)


def local_disk(pod: Mapping) -> tuple[Fraction | None, str]:
    """(the node-local disk that scratch and sized disk `empty_dirs` take, how to name it in a message)."""
    parts, total = [], Fraction(0)
    scratch = pod.get("scratch")
    if scratch is not None:
        total += quantity.parse(scratch.size)
        parts.append(f"scratch {scratch.size}")
    for path, d in sorted((pod.get("empty_dirs") or {}).items()):
        if d.size is not None and not d.memory:
            total += quantity.parse(d.size)
            parts.append(f"empty_dirs {path} {d.size}")
    return (total, " and ".join(parts)) if parts else (None, "")


def resources(pod: Mapping) -> Mapping[str, Resource]:
    given = pod.get("limits")
    extra = local_disk(pod)[0]
    out = {}
    for field, key in RESOURCE_KEYS:
        request = _q(pod.get(field))
        limit = _q(getattr(given, field, None) if given else None)
        if field == "ephemeral_storage" and extra is not None:
            request = extra + (request or 0)
            limit = extra + limit if limit is not None else None
        out[key] = Resource(request, limit if limit is not None else request, extra if key == "ephemeral-storage"
                            else None)
    return MappingProxyType(out)


def _q(value) -> Fraction | None:
    return quantity.parse(value) if value is not None else None


def render_quantity(q: Fraction) -> str:
    """A computed sum (request + scratch) in the unit a person would write."""
    for unit, size in (("Gi", 2**30), ("Mi", 2**20)):
        if (q / size).denominator == 1:
            return f"{q // size}{unit}"
    return quantity.render(q) if q.denominator != 1 else str(int(q))


def outputs_wrap(profile, vols: dict, outputs, loc: tuple, point: str) -> tuple[list, list, Mount | None]:
    """(argv before the user's command, env, the outputs-target mount) for `outputs`. `point` is launcher
    text ({sweep_point_key}); user text is brace-escaped so it stays literal there."""
    if outputs is None:
        return [], [], None
    lit = (lambda t: t.replace("{", "{{").replace("}", "}}")) if point else (lambda t: t)  # noqa: E731
    env: list = []
    mount = None
    if outputs.volume_target:
        vol_name, sub = outputs.volume_target
        vol = vols.get(vol_name)
        claim = vol.claim if vol else vol_name  # an unknown volume is lint's `unknown-volume`
        mount = Mount("outputs-target", OUTPUTS_MOUNT, loc,
                      {"persistentVolumeClaim": {"claimName": claim}}, False)
        dest = lit(f"{OUTPUTS_MOUNT}/{sub}".rstrip("/")) + point
        args: list = []
    else:
        dest = lit(outputs.to.rstrip("/")) + point
        endpoint = outputs.endpoint or profile.s3_endpoint()
        args = ["--endpoint", lit(endpoint)] if endpoint else []
        env = s3_env(outputs.credentials, outputs.credential_keys, outputs.s3cfg)
    return ["python3", DATA_SCRIPT, "run", "--outputs", lit(outputs.path), "--to", dest, *args, "--"], env, mount


def s3_env(secret: str | None, keys=None, s3cfg: str | None = None) -> list:
    """The env that gives the data runtime S3 keys: from the Secret's AWS_* keys, from other key names
    (`credential_keys`), or the path of an s3cmd config mounted from it (`s3cfg`, see s3cfg_mount)."""
    if not secret:
        return []
    if s3cfg:
        return [{"name": "NAUTIFORM_S3CFG", "value": f"{S3CFG_MOUNT}/{s3cfg}"}]
    if keys is None:
        return secret_env("s3", secret)
    return [{"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for env, key in (("AWS_ACCESS_KEY_ID", keys.access_key_id),
                             ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key))]


def s3cfg_mount(secret: str, key: str, loc: tuple) -> Mount:
    return Mount(S3CFG_VOLUME, S3CFG_MOUNT, loc, {"secret": {"secretName": secret, "items": [{"key": key, "path": key}],
                                                             "defaultMode": 0o400}}, True)


def source_access(source, loc: tuple) -> tuple[list, Mount | None]:
    """(env, mount or None) a container fetching from `source` (a dataset's Source) needs for its keys."""
    body = getattr(source, source.kind)
    if source.kind in ("s3", "gcs"):
        s3cfg = getattr(body, "s3cfg", None)
        mount = s3cfg_mount(body.credentials, s3cfg, loc) if s3cfg and body.credentials else None
        return s3_env(body.credentials, body.credential_keys, s3cfg), mount
    return secret_env(source.kind, getattr(body, "credentials", None) or getattr(body, "token", None)), None


def secret_env(kind: str, secret: str | None) -> list:
    if not secret:
        return []
    if kind == "git":
        pairs = [("GIT_PASSWORD", "password"), ("GIT_USERNAME", "user")]
    else:
        keys = {"s3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "hf": ("HF_TOKEN",)}.get(kind, ())
        pairs = [(k, k) for k in keys]
    return [{"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}} for env, key in pairs]


def sweep_of(project_name: str, w_name: str, spec, command: tuple) -> tuple[Sweep, dict | None, str]:
    """The expanded sweep, its ConfigMap data (None when it has too many points to write) and the name."""
    sweep = expand(spec)
    if sweep.size > MAX_POINTS:
        return sweep, None, ""
    data = launcher.data(sweep, command)
    return sweep, data, object_name(project_name, w_name, "sweep", suffix=digest(data))


def mounts(pod: dict, at, vols: dict, code, extra: list, files: Mapping | None = None, code_loc: tuple = ("code",)) \
        -> tuple:
    """Every mount of the main container, in the order the keys come in project.yaml's language."""
    out = []
    for vol_name, path in sorted((pod.get("mounts") or {}).items()):
        vol = vols.get(vol_name)
        if vol is None:
            continue  # lint's unknown-volume
        out.append(Mount(vol.pod_name, path, at(f"mounts.{vol_name}"),
                         {"persistentVolumeClaim": {"claimName": vol.claim}}, False))
    scratch = pod.get("scratch")
    if scratch is not None:
        out.append(Mount("scratch", scratch.path, at("scratch") + ("path",),
                         {"emptyDir": {"sizeLimit": quantity.render(scratch.size)}}, False))
    if pod.get("shm") is not None:
        # shm: true is a tmpfs bounded only by the memory limit (issue 14: PyTorch data loaders)
        limit = {} if pod["shm"] is True else {"sizeLimit": quantity.render(pod["shm"])}
        out.append(Mount("shm", "/dev/shm", at("shm"), {"emptyDir": {"medium": "Memory", **limit}}, False))
    for path, d in sorted((pod.get("empty_dirs") or {}).items()):
        body: dict = {"medium": "Memory"} if d.memory else {}
        if d.size is not None:
            body["sizeLimit"] = quantity.render(d.size)
        norm = _norm(path)
        out.append(Mount(dir_volume(norm), norm, at(f"empty_dirs.{path}"), {"emptyDir": body}, False))
    for i, secret in enumerate(pod.get("secret_files") or []):
        out.append(Mount(object_name("secret", secret.secret), secret.path, at("secret_files") + (i, "path"),
                         {"secret": {"secretName": secret.secret}}, True))
    for target, rel in sorted((pod.get("files") or {}).items()):
        cm = (files or {}).get(rel)
        if cm is None:
            continue  # lint's file-missing
        norm = _norm(target)
        out.append(Mount(file_volume(norm), norm, at(f"files.{target}"),
                         {"configMap": {"name": cm.name, "defaultMode": cm.mode}}, True, cm.key))
    if code is not None:
        out.append(Mount(CODE_VOLUME, code.path, code_loc + ("path",), {"emptyDir": {}}, False))
    return tuple(out + extra)


def _norm(path: str) -> str:
    from .fields import _abs_path

    return _abs_path(path)


def dir_volume(path: str) -> str:
    """The pod volume of an `empty_dirs` entry: readable, and unique per path (`/a-b` and `/a/b` differ)."""
    slug = "".join(c if c.isalnum() else "-" for c in path.lower()).strip("-")
    return object_name("dir", slug[:40].strip("-"), suffix=digest(path, 6))


def file_volume(path: str) -> str:
    return object_name("file", suffix=digest(path, 8))


class Setup(namedtuple("Setup", "container step loc")):
    """A setup step as an init container: its `container` name (setup-NAME, at most 63 characters), the
    SetupStep, and where it is declared."""

    __slots__ = ()


def setup_steps(pod: Mapping, at) -> tuple:
    return tuple(Setup(object_name("setup", step.name), step, at("setup") + (i,))
                 for i, step in enumerate(pod.get("setup") or []))


def values_configmap(project) -> str | None:
    """The name of the ConfigMap apply fills with the submit-time values, or None without `values`."""
    return object_name(project.project.name, "values") if project.values else None
