"""Hypothesis strategies for VALID project.yaml documents (as plain data) and their YAML text.

Every project drawn here must compile on its profile: values stay inside the nautilus caps
(interactive <= 2 GPUs / 16 cores / 32Gi / 6h, jobs <= 8 GPUs), GPU forms fit a node the profile
knows (products, resource, count, memory) and H100s run opportunistic, mount paths never clash,
sweep commands use only their own parameters, datasets sit on ReadWriteMany volumes the workload
mounts or in its scratch. Anything the compiler refuses here is a finding. With hostable=True every
pod also fits a node of the simulated Nautilus (tests/cluster/nautilus/nodes.yaml).
"""
from __future__ import annotations

import json
import re

from hypothesis import assume
from hypothesis import strategies as st
from ruamel.yaml import YAML

from nautiform.emit import dump

# Names: mostly short, sometimes the full 63 characters so that object names must be shortened.
short_label = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)
long_label = st.from_regex(r"[a-z][-a-z0-9]{40,61}[a-z0-9]", fullmatch=True)
label = st.one_of(short_label, short_label, short_label, long_label)
# Plain and secret env names never meet, nor meet a sweep parameter (p...): that is a name-collision.
env_name = st.from_regex(r"E_[A-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: not any(w in s for w in ("TOKEN", "SECRET", "PASSWORD", "KEY", "PASS", "CRED", "AUTH")))
secret_env_name = st.from_regex(r"S_[A-Z0-9_]{0,12}", fullmatch=True)
param_name = st.from_regex(r"p[a-z0-9_]{0,6}", fullmatch=True)
# Text with anything a person may type: unicode, quotes, YAML indicators, line breaks.
# Control characters the API server's YAML reader refuses are the `control-character` rule's; valid text
# has none (the mutation and secret suites still send them).
_REFUSED = "".join(map(chr, [*range(0x7F, 0x85), *range(0x86, 0xA0)])) + "\ufffe\uffff"
any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=_REFUSED), max_size=40)
one_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=_REFUSED +
                                 "\n\r\x00\x85\u2028\u2029"), max_size=30)
arg = st.one_of(one_line, st.sampled_from(["--lr", "1e-3", "yes", "on", "0755", "a: b", "#x", "- y", "~", "null"]))

PLAIN_GPUS = ["NVIDIA-GeForce-RTX-3090", "NVIDIA-A10", "Tesla-T4", "NVIDIA-L40", "NVIDIA-GeForce-RTX-4090"]
CEPHFS = ["rook-cephfs", "rook-cephfs-central", "rook-cephfs-east"]
BLOCK = ["rook-ceph-block", "rook-ceph-block-central", "linstor-ha"]
REGIONS = ["us-west", "us-east", "us-central", "pacific"]
PRIORITY = ["opportunistic", "opportunistic2", "owner-no-preempt", "armada-default"]
# The simulated Nautilus (tests/cluster/nautilus/nodes.yaml): what its nodes can host. A project drawn with
# hostable=True asks only for these, so that every pod can land on one of its nodes, and names only the
# priority classes it has. Each form: (products, resource written, fewest and most GPUs per pod, regions
# with such a node). The 8-GPU 3090 node in us-west is tainted large-gpu, which NRP tolerates for 4 or
# more GPUs (nrp-facts section 1): fewer 3090s land only on the 4-GPU node in us-east.
SIM_GPUS = [
    ((), None, 1, 4, ["us-west", "us-east"]),                                  # any nvidia.com/gpu card
    ((), None, 4, 8, ["us-west"]),
    (("NVIDIA-A10",), None, 1, 4, ["us-west"]),
    (("NVIDIA-GeForce-RTX-3090",), None, 1, 4, ["us-east"]),
    (("NVIDIA-GeForce-RTX-3090",), None, 4, 8, ["us-west"]),
    (("NVIDIA-A10", "NVIDIA-GeForce-RTX-3090"), "nvidia.com/gpu", 1, 4, ["us-west", "us-east"]),
    (("NVIDIA-A10", "NVIDIA-GeForce-RTX-3090"), "nvidia.com/gpu", 4, 8, ["us-west"]),
    (("NVIDIA-A100-SXM4-80GB",), None, 1, 4, ["us-central"]),
    (("NVIDIA-A100-SXM4-80GB",), "nvidia.com/a100", 1, 4, ["us-central"]),
    ((), "nvidia.com/a100", 1, 4, ["us-central"]),
]
SIM_MEMORY = {"NVIDIA-A10": 24576, "NVIDIA-GeForce-RTX-3090": 24576, "NVIDIA-A100-SXM4-80GB": 81920}
SIM_REGIONS = ["us-west", "us-east", "us-central"]
# Every GPU form the profile accepts: (products, resource written or None, most per pod, priority needed).
ALL_GPUS = [((), None, 8, None), (("NVIDIA-A40",), None, 8, None), (("NVIDIA-A40",), "nvidia.com/a40", 8, None),
            (("NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"), None, 8, None),
            (("NVIDIA-H100-80GB-HBM3",), None, 8, "opportunistic"), (("NVIDIA-L4", "Tesla-T4"), None, 8, None),
            (("NVIDIA-A100-80GB-PCIe-MIG-1g.10gb",), "nvidia.com/mig-small", 8, None)]
MEMORY_MIB = {"NVIDIA-GeForce-RTX-3090": 24576, "NVIDIA-A10": 24576, "Tesla-T4": 16384, "NVIDIA-L40": 49152,
              "NVIDIA-GeForce-RTX-4090": 24576, "NVIDIA-A40": 49152, "NVIDIA-A100-SXM4-80GB": 81920,
              "NVIDIA-A100-80GB-PCIe": 81920, "NVIDIA-H100-80GB-HBM3": 81920, "NVIDIA-L4": 24576,
              "NVIDIA-A100-80GB-PCIe-MIG-1g.10gb": 9728}
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

cpu = st.sampled_from([1, 2, 4, 8, 0.5, "250m", "500m", "1.5", "2", "1e1", "16"])
memory = st.sampled_from(["512Mi", "1Gi", "4Gi", "16Gi", "32Gi", "1e9", "2G", "1.5Gi", 1073741824])
disk = st.sampled_from(["1Gi", "10Gi", "100Gi", "20G", "1Ti"])
small_disk = st.sampled_from(["1Gi", "10Gi", "20G", "50Gi"])  # what every simulated node has room for
duration = st.sampled_from([60, 3600, "90s", "30m", "2h", "6h"])
long_duration = st.sampled_from([60, 3600, "90s", "30m", "6h", "2d", "7d", 86400])


class Mode:
    """What a drawn project must satisfy: the nautilus profile's rules, and (hostable) the simulated cluster."""

    def __init__(self, nautilus: bool, hostable: bool):
        self.nautilus, self.hostable = nautilus, hostable


@st.composite
def gpu(draw, most: int, mode: Mode):
    """Every GPU form: no product, plain products, special resources (A40, A100, MIG) with or without the
    resource written, H100 (which needs opportunistic: the workload sets it), min_memory within the
    listed products' memory. Hostable: only what the simulated nodes offer, per node, in their regions."""
    count = draw(st.integers(0, most))
    out: dict = {"count": count}
    if count == 0:
        return out
    if mode.hostable:
        products, resource, _, _, _ = draw(st.sampled_from([f for f in SIM_GPUS if f[2] <= count <= f[3]]))
        regions = _sim_regions({"products": products, "resource": resource, "count": count})
        memories = [SIM_MEMORY[p] for p in products] or [24576]
    else:
        forms = [((), None, 8, None), (tuple(draw(st.lists(st.sampled_from(PLAIN_GPUS), min_size=1, max_size=3,
                                                           unique=True))), None, 8, None)]
        if mode.nautilus:
            forms += ALL_GPUS
        products, resource, per_node, priority = draw(st.sampled_from(forms))
        regions = None
        memories = [MEMORY_MIB[p] for p in products] or [9728]
        if priority:
            out["_priority"] = priority
    if products:
        out["products"] = list(products)
    if resource:
        out["resource"] = resource
    if draw(st.booleans()):
        out["min_memory"] = draw(st.sampled_from([m for m in ("8G", "9000Mi", "12Gi", "24Gi", "40000Mi", "80Gi")
                                                  if _mib(m) <= max(memories)]))
    if regions:
        out["_regions"] = regions
    return out


def _sim_regions(gpu: dict) -> list:
    """The regions with a simulated node for this many of these GPUs."""
    form = (tuple(gpu.get("products", ())), gpu.get("resource"))
    return sorted({r for f in SIM_GPUS if f[:2] == form and f[2] <= gpu["count"] <= f[3] for r in f[4]})


def _mib(quantity: str) -> float:
    from nautiform.quantity import parse

    return float(parse(quantity)) / 2**20


@st.composite
def pod_settings(draw, volumes: dict, *, most_gpus: int, prefix: str, mode: Mode, datasets: dict,
                 defaults: dict | None = None) -> dict:
    """Pod settings for defaults (prefix 'd') or one workload (prefix 'w'); paths carry the prefix so that
    the defaults and a workload never mount two things at one path."""
    out: dict = {}
    limited = []
    sizes = small_disk if mode.hostable else disk
    if draw(st.booleans()):
        out["cpu"] = draw(cpu)
        limited.append("cpu")
    if draw(st.booleans()):
        out["memory"] = draw(memory)
        limited.append("memory")
    if draw(st.booleans()):
        out["ephemeral_storage"] = draw(sizes)
        limited.append("ephemeral_storage")
    if draw(st.booleans()):
        out["scratch"] = {"size": draw(sizes)} | ({"path": f"/{prefix}/scratch"} if draw(st.booleans()) else {})
    if prefix == "w" and draw(st.booleans()):
        if limited and draw(st.booleans()):
            out["limits"] = {f: out[f] for f in draw(st.lists(st.sampled_from(limited), min_size=1, unique=True))}
        elif "scratch" in out and "ephemeral_storage" not in out and "ephemeral_storage" not in (defaults or {}):
            out["limits"] = {"ephemeral_storage": "100Mi"}  # scratch makes the request; the limit adds to it
    if draw(st.booleans()):
        out["gpu"] = draw(gpu(most_gpus, mode))
    regions = out.get("gpu", {}).pop("_regions", None)
    inherited = (defaults or {}).get("gpu") if "gpu" not in out else None
    if mode.hostable and inherited and inherited.get("count"):  # a region of the defaults' GPUs
        regions = _sim_regions(inherited)
    priority = out.get("gpu", {}).pop("_priority", None)
    if inherited and "NVIDIA-H100-80GB-HBM3" in inherited.get("products", ()):
        priority = "opportunistic"  # the defaults' H100s need it: a workload's own class must keep it
    if regions or draw(st.booleans()):
        choices = regions or (SIM_REGIONS if mode.hostable else REGIONS)
        out["region"] = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        out["tolerations"] = draw(st.lists(st.one_of(
            st.fixed_dictionaries({"key": st.sampled_from(["nautilus.io/hardware", "nautilus.io/large-gpu"])},
                                  optional={"value": st.sampled_from(["true", "large-gpu"]),
                                            "effect": st.sampled_from(["NoSchedule", "NoExecute"])}),
            st.fixed_dictionaries({"key": st.just("nautilus.io/testing"), "operator": st.just("Exists")})),
            max_size=2))
    if priority or draw(st.booleans()):
        out["priority_class"] = priority or draw(st.sampled_from(PRIORITY[:2] if mode.hostable else PRIORITY))
    if volumes and draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(sorted(volumes)), min_size=1, unique=True))
        out["mounts"] = {n: f"/{prefix}/vol/{n}" for n in names}
    if datasets and draw(st.booleans()):
        usable = [n for n, d in datasets.items()
                  if ("volume" in d and d["volume"] in out.get("mounts", {})) or ("scratch" in d and "scratch" in out)]
        if usable:
            out["datasets"] = draw(st.lists(st.sampled_from(usable), min_size=1, unique=True))
    if draw(st.booleans()) and prefix == "w":
        out["shm"] = draw(st.sampled_from(["64Mi", "256Mi", "512Mi"]))
    if draw(st.booleans()):
        out["env"] = draw(st.dictionaries(env_name, any_text, max_size=4))
    if draw(st.booleans()):
        out["secret_env"] = draw(st.dictionaries(secret_env_name, st.fixed_dictionaries(
            {"secret": short_label, "key": st.from_regex(r"[-._a-zA-Z0-9]{1,20}", fullmatch=True).filter(
                lambda k: k != "." and not k.startswith(".."))}), max_size=3))
    if draw(st.booleans()):
        secrets = draw(st.lists(short_label, max_size=2, unique=True))
        out["secret_files"] = [{"secret": s, "path": f"/{prefix}/secrets/{s}"} for s in secrets]
    return out


@st.composite
def command(draw, params: tuple | None = None):
    """argv list or one shell line; never ends in sleep. A sweep's (params given) has no stray braces
    and uses only its own {params}."""
    words = draw(st.lists(arg if params is None else arg.filter(lambda a: "{" not in a and "}" not in a),
                          max_size=4))
    if params:
        words += [f"--{p}={{{p}}}" for p in draw(st.lists(st.sampled_from(params), unique=True))]
        if draw(st.booleans()):
            words.append("{{literal}}")
    if draw(st.booleans()):
        return ["python", "train.py", *words]
    return "python train.py " + " ".join(json.dumps(w) for w in words if "\x00" not in w)


param_value = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
                        st.booleans(), one_line)


@st.composite
def sweep_spec(draw):
    mode = draw(st.sampled_from(["grid", "points", "random"]))
    params = tuple(draw(st.lists(param_name, min_size=1, max_size=3, unique=True)))
    if mode == "grid":
        spec = {"grid": {p: draw(st.lists(param_value, min_size=1, max_size=4)) for p in params}}
    elif mode == "points":
        rows = draw(st.integers(1, 6))
        spec = {"points": [{p: draw(param_value) for p in params} for _ in range(rows)]}
    else:
        dists = {}
        for p in params:
            which = draw(st.sampled_from(["choice", "uniform", "loguniform", "randint"]))
            if which == "choice":
                dists[p] = {"choice": draw(st.lists(param_value, min_size=1, max_size=4))}
            elif which == "randint":
                low = draw(st.integers(-1000, 1000))
                dists[p] = {"randint": [low, low + draw(st.integers(1, 1000))]}
            else:
                low = draw(st.floats(1e-6, 10.0))
                dists[p] = {which: [low, low * 2 + 1]}
        spec = {"random": {"seed": draw(st.integers(0, 2**32 - 1)), "samples": draw(st.integers(1, 30)),
                           "params": dists}}
    # Valid sweeps have distinct points (lint: sweep-duplicate): a grid axis or a point list that repeats a
    # value, or random draws that land on the same point, are the broken kind.
    assume(_distinct_points(spec))
    return spec, params


def _distinct_points(spec: dict) -> bool:
    from nautiform import launcher
    from nautiform.expand import expand
    from nautiform.model import SweepSpec

    try:
        sweep = expand(SweepSpec.from_data(spec))
    except Exception:  # noqa: BLE001 - not this property's business: the validator judges the spec
        return True
    if sweep.size > 10_000:
        return True
    keys = launcher.point_keys(sweep)
    return len(set(keys)) == len(keys)


@st.composite
def outputs(draw, volumes: dict):
    out: dict = {}
    if draw(st.booleans()):
        out["path"] = "/w/outputs"
    if volumes and draw(st.booleans()):
        out["to"] = f"volume://{draw(st.sampled_from(sorted(volumes)))}/" + draw(st.sampled_from(["runs", "a/b", ""]))
    else:
        out["to"] = "s3://" + draw(st.sampled_from(["bucket/runs", "b", "lab-results/x/y"]))
        out["credentials"] = draw(short_label)
    return out


@st.composite
def workload(draw, volumes: dict, mode: Mode, datasets: dict, defaults: dict):
    kind = draw(st.sampled_from(["interactive", "job", "sweep"]))
    interactive = kind == "interactive"
    out = {"kind": kind}
    out.update(draw(pod_settings(volumes, most_gpus=2 if interactive else 8, prefix="w", mode=mode,
                                 datasets=datasets, defaults=defaults)))
    if interactive and mode.nautilus:
        if draw(st.booleans()):
            out["deadline"] = draw(duration)
        if draw(st.booleans()):
            out["command"] = draw(command())
        return out
    if interactive:
        if draw(st.booleans()):
            out["deadline"] = draw(long_duration)
        return out
    if kind == "sweep":
        spec, params = draw(sweep_spec())
        out["sweep"] = spec
        out["command"] = draw(command(params))
        if draw(st.booleans()):
            out["parallelism"] = draw(st.integers(1, 400))
        if draw(st.booleans()):
            out["backoff_limit_per_index"] = draw(st.integers(0, 100))
    else:
        out["command"] = draw(command())
    if draw(st.booleans()):
        out["backoff_limit"] = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        out["ttl_after_finished"] = draw(long_duration)
    if draw(st.booleans()):
        out["deadline"] = draw(long_duration)
    if draw(st.booleans()):
        out["outputs"] = draw(outputs(volumes))
    return out


@st.composite
def volume(draw, nautilus: bool):
    if draw(st.integers(0, 3)) == 0:
        return {"existing_claim": "claim-" + draw(short_label)}
    out = {"size": draw(disk)}
    if nautilus and draw(st.booleans()):
        cls = draw(st.sampled_from(CEPHFS + BLOCK))
        out["storage_class"] = cls
        if draw(st.booleans()):
            out["access_mode"] = draw(st.sampled_from(
                ["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany"] if cls in CEPHFS else ["ReadWriteOnce"]))
    return out


@st.composite
def dataset(draw, shared: list, nautilus: bool):
    """A dataset from any source, onto a shared (ReadWriteMany) volume or into scratch."""
    kind = draw(st.sampled_from(["http", "s3", "git", "hf"]))
    if kind == "http":
        source = {"http": {"url": "https://example.org/" + draw(short_label) + ".zip", "sha256": SHA}}
    elif kind == "s3":
        source = {"s3": {"bucket": draw(short_label), "prefix": "data/"}}
        if not nautilus or draw(st.booleans()):  # generic has no S3 endpoint of its own
            source["s3"]["endpoint"] = "https://s3.example.org"
        source["s3"].update(draw(st.sampled_from([{"anonymous": True}, {"credentials": "s3-creds"}])))
        if draw(st.booleans()):
            source["s3"]["tool"] = draw(st.sampled_from(["rclone", "s5cmd", "builtin", "auto"]))
    elif kind == "git":
        source = {"git": {"repo": "https://gitlab.nrp-nautilus.io/lab/data.git", "ref": "v1"}}
    else:
        source = {"hf": {"repo": "org/" + draw(short_label), "revision": "0123abcd"}}
        if draw(st.booleans()):
            source["hf"]["token"] = "hf-token"
    out: dict = {"source": source}
    if kind == "http" and draw(st.booleans()):
        out["unpack"] = draw(st.sampled_from(["zip", "tar", "tar.gz"]))
    if shared and draw(st.booleans()):
        out["volume"] = draw(st.sampled_from(shared))
    else:
        out["scratch"] = True
    if draw(st.booleans()):
        out["path"] = draw(st.sampled_from(["d", "sets/one", "x.y"]))
    return out


@st.composite
def projects(draw, hostable: bool = False) -> dict:
    """A valid project as plain data. hostable: every pod fits a node of the simulated Nautilus."""
    profile = "nautilus" if hostable else draw(st.sampled_from(["nautilus", "generic", None]))
    nautilus = profile != "generic"
    mode = Mode(nautilus, hostable)
    meta = {"name": draw(label), "namespace": draw(short_label)}
    if profile:
        meta["profile"] = profile
    if draw(st.booleans()):
        meta["owner"] = draw(st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?", fullmatch=True))
    if hostable or draw(st.booleans()):
        image = {"ref": draw(st.sampled_from(["python:3.11-slim", "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
                                              "gitlab-registry.nrp-nautilus.io/lab/img:v1@sha256:" + "a" * 64]))}
    else:
        image = {"build": {"repository": "gitlab-registry.nrp-nautilus.io/lab/" + draw(short_label)}}
    if draw(st.booleans()):
        image["pull_secret"] = draw(short_label)
    project = {"version": 1, "project": meta, "image": image}
    if draw(st.booleans()):
        if draw(st.booleans()):
            code = {"repo": "https://gitlab.nrp-nautilus.io/lab/code.git"}
            if draw(st.booleans()):
                code["credentials"] = draw(short_label)
        else:
            code = {"repo": draw(st.sampled_from(["git@gitlab.nrp-nautilus.io:lab/code.git",
                                                  "ssh://git@github.com/lab/code.git"])), "ssh_key": "deploy-key"}
        if draw(st.booleans()):
            code["ref"] = draw(st.sampled_from(["main", "v1.2.0", "0123abcd"]))
        if draw(st.booleans()):
            code["path"] = "/code"
        project["code"] = code
    volumes = draw(st.dictionaries(label, volume(nautilus), max_size=3))
    if draw(st.booleans()):  # a shared volume for datasets: ReadWriteMany, or waiting pods could deadlock
        volumes["shared"] = {"size": draw(disk), "access_mode": "ReadWriteMany"} | (
            {"storage_class": "rook-cephfs"} if nautilus else {})
    if volumes or draw(st.booleans()):
        project["volumes"] = volumes
    shared = ["shared"] if "shared" in volumes else []
    datasets = draw(st.dictionaries(short_label, dataset(shared, nautilus), max_size=3))
    if datasets:
        project["datasets"] = datasets
    defaults = draw(pod_settings(volumes, most_gpus=2, prefix="d", mode=mode, datasets={}))  # interactive inherit
    if defaults or draw(st.booleans()):
        project["defaults"] = defaults
    project["workloads"] = draw(st.dictionaries(label, workload(volumes, mode, datasets, defaults), min_size=1, max_size=4))
    return project


def to_yaml(data, style: str) -> str:
    """Write `data` as YAML in one of several styles a person (or a tool) might use."""
    if style == "json":  # raw unicode, but characters YAML forbids raw (DEL, C1 controls) escaped
        return _NOT_YAML.sub(lambda m: "\\u%04x" % ord(m.group()), json.dumps(data, ensure_ascii=False))
    if style == "json-indented":
        return json.dumps(data, ensure_ascii=True, indent=2)
    if style == "nautiform":
        return dump(data)
    import io

    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = style == "ruamel-flow"
    buf = io.StringIO()
    yaml.dump(_quote_indicators(data), buf)
    return buf.getvalue()


def _quote_indicators(node):
    """ruamel writes `?x` plain in a flow list but its own parser then reads `?` as a key indicator (the
    YAML spec allows `?x` as plain text). Quote such strings: a writer quirk, not what this suite tests."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(node, dict):
        return {k: _quote_indicators(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_quote_indicators(v) for v in node]
    if isinstance(node, str) and node[:1] in ("?", ":", "-"):
        return DoubleQuotedScalarString(node)
    return node


# Outside YAML 1.2's printable set (c-printable), or read as a line break inside a flow scalar.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029]")
STYLES = ("json", "json-indented", "nautiform", "ruamel-block", "ruamel-flow")
