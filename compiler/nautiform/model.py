"""Stage 2 types: the project.yaml language, version 1.

Every model forbids unknown keys. Pod settings (resources, GPUs, storage,
secrets, placement) appear twice: in `defaults` and in each workload, where a
value set on the workload wins (see resolve.py).
"""
from __future__ import annotations

from .fields import (AbsPath, Command, DnsLabel, Duration, EnvName, EnvValue, ImageRef, LabelKey, LabelValue, Md5,
                     NodeLabelKey, NodeLabelValues, OutputsTarget, ParamName, ParamValue, Patch, Quantity, RelPath,
                     RepoFile, Sha256, Shm, ValueName)
from .crossfield import Excludes, ExactlyOne, Needs, Requires, When
from .records import Bool, DictOf, Float, Int, Invalid, ListOf, OneOf, OrFalse, Record, Str, Tagged, optional, required
from .settings import (S3_DOCS, S3_RULES, CredentialKeys, DataJob, EmptyDir, FieldPath, GcsSource, Security,
                       SetupStep, ValueDecl)

# An SSH clone URL: ssh://..., or scp-like user@host:path (git@gitlab.nrp-nautilus.io:group/repo.git).
SSH_URL = r"^(ssh://|[A-Za-z0-9._-]+@[^/:]+:)"


# ---- project-level -------------------------------------------------------------------------

class ProjectMeta(Record):
    name = required(DnsLabel, "Prefix of every object name; lowercase DNS-1123 label.")
    namespace = required(DnsLabel, "Your Kubernetes namespace on the cluster.")
    owner = optional(LabelValue, None, "Who to ask about these objects (a label).")
    profile = optional(OneOf("nautilus", "generic"), "nautilus", "Cluster rules to enforce.")
    labels = optional(DictOf(LabelKey, LabelValue), None, "Labels on every object (and pod) nautiform writes.")
    annotations = optional(DictOf(LabelKey, Str()), None, "Annotations on every object (and pod) nautiform writes.")


class Build(Record):
    repository = required(Str(), "Registry repository the image is pushed to, without a tag.")
    context = optional(Str(), ".", "Build context directory, relative to project.yaml.")
    dockerfile = optional(Str(), "Dockerfile", "Dockerfile path, relative to project.yaml.")


class Image(Record):
    ref = optional(ImageRef, None, "A prebuilt image reference.")
    build = optional(Build, None, "Build this image; tagged by a hash of its inputs.")
    pull_secret = optional(DnsLabel, None, "imagePullSecret name for a private registry.")

    rules = (ExactlyOne("ref", "build", where="image"),)


class Code(Record):
    repo = required(Str(), "Git URL cloned at pod start by an init container: https://... or, with `ssh_key`, "
                    "git@host:path or ssh://...")
    ref = optional(Str(), "main", "Branch, tag or commit to check out.")
    credentials = optional(DnsLabel, None, "Secret with keys `user` and `password` (a read_repository token), "
                           "for an https repo.")
    ssh_key = optional(DnsLabel, None, "Secret with keys `ssh-privatekey` (a deploy key) and `known_hosts` (the "
                       "host's public key), for an SSH repo.")
    path = optional(AbsPath, "/workspace/code", "Where the checkout appears; the working directory.")
    depth = optional(Int(ge=1, le=1_000_000), None, "Shallow clone: fetch only this many commits of `ref`.")
    submodules = optional(Bool(), False, "Also check out the submodules (recursively; as shallow as `depth`).")

    # A pod has no way to answer an SSH host-key or passphrase prompt: an SSH URL needs a deploy key (issue 12).
    rules = (When("repo", SSH_URL, requires=("ssh_key",), forbids_else=("ssh_key",),
                  message="an SSH repo URL needs `ssh_key`: the clone has no other way to get a key",
                  hint="kubectl create secret generic deploy-key --from-file=ssh-privatekey=KEY "
                       "--from-file=known_hosts=<(ssh-keyscan HOST); then ssh_key: deploy-key (or use an https URL "
                       "with `credentials`)",
                  else_message="`ssh_key` is for an SSH repo URL (git@host:path or ssh://...)",
                  else_hint="use `credentials` with an https URL, or write the SSH URL"),
             Excludes("ssh_key", "credentials", hint="an SSH clone uses the key only: remove `credentials`"))


class Volume(Record):
    size = optional(Quantity, None, "Size of a PVC nautiform creates, e.g. 100Gi.")
    storage_class = optional(Str(), None, "StorageClass; the profile's default if unset.")
    access_mode = optional(OneOf("ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"), None,
                           "Access mode; the profile's default for the class if unset.")
    existing_claim = optional(DnsLabel, None, "Use this existing PVC instead of creating one.")

    rules = (ExactlyOne("size", "existing_claim", message="a volume needs `size` (a new PVC) or `existing_claim`, "
                        "not both", hint="e.g. size: 50Gi"),
             Excludes("existing_claim", "storage_class", "access_mode",
                      message="an existing claim takes no size, storage_class or access_mode",
                      hint="remove them, or remove existing_claim to let nautiform create the PVC"))


# ---- datasets and outputs (fetched/synced by runtime/nautiform_data.py) ------------

class HttpSource(Record):
    url = required(Str(), "http(s) URL of one file.")
    sha256 = optional(Sha256, None, "Its SHA-256, lowercase hex.")
    md5 = optional(Md5, None, "Its MD5, lowercase hex (when the publisher gives no SHA-256).")
    unverified = optional(Bool(), False, "Fetch it without any checksum, on purpose (a file that changes).")

    rules = (ExactlyOne("sha256", "md5", "unverified", message="an http source needs `sha256` (or `md5`), or "
                        "`unverified: true` to fetch it without a check", hint="sha256sum FILE prints the digest; "
                        "keep exactly one of sha256, md5, unverified"),)


class S3Source(Record):
    bucket = required(Str())
    prefix = optional(Str(), "", "Key prefix to copy; empty for the whole bucket.")
    endpoint = optional(Str(), None, "S3 endpoint; the profile's (inside the cluster) if unset.")
    credentials = optional(DnsLabel, None, "Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    anonymous = optional(Bool(), False, "A public bucket: no credentials.")
    tool = optional(OneOf("auto", "rclone", "s5cmd", "builtin"), "auto", "Transfer tool.")
    workers = optional(Int(ge=1, le=1024), 32, "Parallel transfers.")
    credential_keys = optional(CredentialKeys, None, S3_DOCS["credential_keys"])
    s3cfg = optional(Str(), None, S3_DOCS["s3cfg"])

    rules = S3_RULES


class GitSource(Record):
    repo = required(Str())
    ref = required(Str(), "Branch, tag or commit.")
    credentials = optional(DnsLabel, None, "Secret with keys `user` and `password`.")


class HfSource(Record):
    repo = required(Str(), "Hugging Face Hub repository, e.g. org/name.")
    revision = optional(Str(), "main", "Branch, tag or commit; pin a commit for reproducible runs.")
    repo_type = optional(OneOf("model", "dataset"), "model")
    files = optional(ListOf(Str()), None, "Glob patterns of files to fetch (default: all).")
    token = optional(DnsLabel, None, "Secret with key HF_TOKEN, for gated or private repos.")


class PushSource(Record):
    """Data pushed from your machine with `nautiform data push PATH NAME` (issue 18): no data Job;
    a short-lived transfer pod writes it onto the dataset's volume."""


SOURCES = ("http", "s3", "gcs", "git", "hf", "push")


class Source(Record):
    http = optional(HttpSource)
    s3 = optional(S3Source)
    gcs = optional(GcsSource)
    git = optional(GitSource)
    hf = optional(HfSource)
    push = optional(PushSource)

    rules = (ExactlyOne(*SOURCES, where="a dataset source"),)

    @property
    def kind(self) -> str:
        return next(k for k in SOURCES if getattr(self, k) is not None)


class Dataset(Record):
    source = required(Source)
    unpack = optional(OneOf("tar", "tar.gz", "zip"), None, "Extract the downloaded archive.")
    volume = optional(DnsLabel, None, "Fill once onto this volume, by a data Job.")
    scratch = optional(Bool(), False, "Stage into each pod's node-local scratch before it starts.")
    path = optional(RelPath, None, "Relative path on the volume (default datasets/NAME) or in scratch (default NAME).")
    flatten = optional(Bool(), False, "After unpacking, an archive's single top folder becomes the dataset itself.")
    job = optional(DataJob, None, "The data Job's image, resources and TTL (a volume dataset).")

    rules = (ExactlyOne("volume", "scratch", message="a dataset goes to a `volume` or to `scratch: true`",
                        hint="volume for big data read by many pods; scratch for many small files"),
             Requires("flatten", "unpack", message="`flatten` is for an unpacked archive",
                      hint="add `unpack:`, or remove `flatten`"),
             Requires("job", "volume", message="only a volume dataset has a data Job (a scratch one is fetched in "
                      "each pod)", hint="remove `job`, or put the dataset on a volume"),
             Needs(("source", "push"), forbids=("job",), message="a pushed dataset has no data Job: `nautiform "
                   "data push` writes it", hint="remove `job`"),
             Needs(("source", "push"), requires=("volume",), message="a pushed dataset lives on a volume: "
                   "`nautiform data push` writes it there once", hint="set `volume:` (scratch is refilled in every "
                   "pod, from a source)"),
             Needs(("source", "push"), forbids=("unpack",), message="a pushed dataset lands as it was pushed; "
                   "`unpack` is for downloads", hint="remove `unpack` and push the unpacked folder"))


class Outputs(Record):
    path = optional(AbsPath, "/outputs", "Directory your program writes results to.")
    to = required(OutputsTarget, "s3://bucket/prefix, or volume://VOLUME/sub/path")
    credentials = optional(DnsLabel, None, "Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for s3://).")
    endpoint = optional(Str(), None, "S3 endpoint; the profile's if unset.")
    credential_keys = optional(CredentialKeys, None, S3_DOCS["credential_keys"])
    s3cfg = optional(Str(), None, S3_DOCS["s3cfg"])

    rules = S3_RULES

    @property
    def volume_target(self) -> tuple[str, str] | None:
        """(volume, sub/path) for volume://VOLUME/sub/path; None for S3."""
        if not self.to.startswith("volume://"):
            return None
        volume, _, sub = self.to[len("volume://"):].partition("/")
        return volume, sub


# ---- pod settings shared by defaults and workloads ------------------------------------------

class Gpu(Record):
    count = optional(Int(ge=0, le=64), 1, "GPUs per pod.")
    products = optional(ListOf(Str()), None, "Allowed `nvidia.com/gpu.product` values.")
    min_memory = optional(Quantity, None, "Minimum GPU memory, e.g. 24Gi.")
    resource = optional(Str(), None, "Override the resource name (default from the profile).")


class Limits(Record):
    cpu = optional(Quantity)
    memory = optional(Quantity)
    ephemeral_storage = optional(Quantity)


class Scratch(Record):
    size = required(Quantity, "Node-local disk (emptyDir) size, also requested as ephemeral-storage.")
    path = optional(AbsPath, "/scratch", "Mount path.")


class SecretKey(Record):
    secret = required(DnsLabel)
    key = required(Str())


class SecretFiles(Record):
    secret = required(DnsLabel)
    path = required(AbsPath, "Directory where the secret's keys appear as files.")


class Toleration(Record):
    key = required(Str())
    operator = optional(OneOf("Equal", "Exists"), "Equal")
    value = optional(Str())
    effect = optional(OneOf("NoSchedule", "PreferNoSchedule", "NoExecute"))


class PodSettings(Record):
    cpu = optional(Quantity, None, "CPU request, e.g. 4 or 500m.")
    memory = optional(Quantity, None, "Memory request, e.g. 16Gi.")
    ephemeral_storage = optional(Quantity, None, "Local disk request, e.g. 20Gi.")
    limits = optional(Limits, None, "Limits; default: equal to the requests.")
    gpu = optional(Gpu)
    region = optional(ListOf(Str()), None, "topology.kubernetes.io/region values allowed.")
    tolerations = optional(ListOf(Toleration))
    priority_class = optional(Str())
    mounts = optional(DictOf(Str(), AbsPath), None, "Volume name -> mount path.")
    scratch = optional(Scratch)
    shm = optional(Shm, None, "Size of a memory-backed /dev/shm, or true: up to the memory limit.")
    env = optional(DictOf(EnvName, EnvValue))
    secret_env = optional(DictOf(EnvName, SecretKey), None, "Env vars read from secret keys.")
    secret_files = optional(ListOf(SecretFiles))
    datasets = optional(ListOf(DnsLabel), None, "Datasets this workload reads.")
    # issue 14
    labels = optional(DictOf(LabelKey, LabelValue), None, "Labels on the workload's objects and pods.")
    annotations = optional(DictOf(LabelKey, Str()), None, "Annotations on the workload's objects and pods.")
    image_pull_policy = optional(OneOf("Always", "IfNotPresent", "Never"), None, "imagePullPolicy.")
    node_labels = optional(DictOf(NodeLabelKey, NodeLabelValues, 1), None, "Node label -> value (or values) the "
                           "node must have, e.g. nautilus.io/group: haosu.")
    hosts = optional(ListOf(LabelValue, 1, what="hosts"), None, "Run only on these nodes (kubernetes.io/hostname).")
    avoid_hosts = optional(ListOf(LabelValue, 1, what="avoid_hosts"), None, "Never run on these nodes.")
    zones = optional(ListOf(LabelValue, 1, what="zones"), None, "topology.kubernetes.io/zone values allowed.")
    avoid_zones = optional(ListOf(LabelValue, 1, what="avoid_zones"), None, "Zones never to run in.")
    prefer_regions = optional(ListOf(LabelValue, 1, what="prefer_regions"), None, "Regions to prefer (soft: "
                              "elsewhere when these are full).")
    empty_dirs = optional(DictOf(AbsPath, EmptyDir, 1), None, "Path -> a directory that lives as long as the pod.")
    security = optional(Security)
    workdir = optional(AbsPath, None, "Working directory of the main container (default: code.path, if any).")
    setup = optional(ListOf(SetupStep, 1, what="setup"), None, "Steps run before the main container, in order.")
    field_env = optional(DictOf(EnvName, FieldPath), None, "Env vars from the pod itself (downward API), e.g. "
                         "NODE_NAME: spec.nodeName.")
    value_env = optional(DictOf(EnvName, ValueName), None, "Env vars from values filled at apply time (`values`).")
    files = optional(DictOf(AbsPath, RepoFile, 1), None, "Container path -> a file of the repository (relative to "
                     "project.yaml), mounted read-only from a ConfigMap.")
    pod = optional(Patch, None, "Strategic-merge patch of the PodSpec, for what the language lacks.")
    container = optional(Patch, None, "Strategic-merge patch of the main container, for what the language lacks.")


POD_FIELDS = tuple(PodSettings.fields)


# ---- workloads -----------------------------------------------------------------------------

class WorkloadBase(PodSettings):
    """Settings a workload has and `defaults` has not (the project's `image` and `code` are the defaults)."""

    image = optional(ImageRef, None, "This workload's image instead of the project's.")
    code = optional(OrFalse(Code), None, "This workload's code instead of the project's; false: none.")


class Interactive(WorkloadBase):
    kind = required(OneOf("interactive"))
    nodes = optional(Int(ge=1), None, "Not for an interactive pod (lint: nodes-kind); a multi-node run is a job.")
    command = optional(Command, ("sleep", "infinity"), "Default: sleep until deleted.")
    deadline = optional(Duration, 6 * 3600, "activeDeadlineSeconds; the pod is stopped after it.")
    after = optional(ListOf(DnsLabel, 1, what="after"), None, "Workloads that must finish first: this pod is "
                     "started (holding no GPU before) when they have succeeded.")


class Batch(WorkloadBase):
    command = required(Command)
    backoff_limit = optional(Int(ge=0, le=1000), None, "Retries of the whole Job before it fails (default 2; "
                             "a sweep with backoff_limit_per_index has no Job-wide limit unless this is set).")
    ttl_after_finished = optional(Duration, 7 * 86400, "Delete the finished Job after this.")
    deadline = optional(Duration, None, "activeDeadlineSeconds of the Job.")
    after = optional(ListOf(DnsLabel, 1, what="after"), None, "Workloads that must finish first: this run waits, "
                     "suspended and holding no GPU, until they have succeeded; it runs again when they change.")
    outputs = optional(Outputs, None, "Results synced out when the command ends, even on failure; a sweep gets "
                       "one prefix per point.")
    restart_policy = optional(OneOf("Never", "OnFailure"), "Never", "OnFailure restarts a failed container in "
                              "place (same pod, same node) instead of starting a new pod.")


class JobWorkload(Batch):
    kind = required(OneOf("job"))
    replicas = optional(Int(ge=1, le=100_000), None, "Run N identical pods (an Indexed Job); each gets REPLICA "
                        "(0..N-1) and REPLICAS.")
    nodes = optional(Int(ge=1, le=64), 1, "Pods of one run, each with gpu.count GPUs, started together as "
                     "torchrun's nodes (an Indexed Job and a headless Service); rank 0's success is the run's.")
    same_zone = optional(Bool(), False, "Keep every node of a multi-node run in one zone, not only one region.")
    rendezvous_timeout = optional(Duration, 600, "How long the nodes of a multi-node run wait for each other.")


FloatRange = ListOf(Float(), 2, 2, "a range [low, high]")
PositiveRange = ListOf(Float(gt=0), 2, 2, "a range [low, high]")
IntRange = ListOf(Int(), 2, 2, "a range [low, high]")


class Distribution(Record):
    choice = optional(ListOf(ParamValue, 1, what="choice"))
    uniform = optional(FloatRange)
    loguniform = optional(PositiveRange)
    randint = optional(IntRange)

    rules = (ExactlyOne("choice", "uniform", "loguniform", "randint", where="a distribution"),)

    def check(self):
        # JSON Schema cannot compare two values of a document: this one stays out of the schema (README).
        low_high = self.uniform or self.loguniform or self.randint
        if low_high and not low_high[0] < low_high[1]:
            raise Invalid("range", f"the range {list(low_high)} is empty", "write [low, high] with low < high")


class RandomSearch(Record):
    seed = required(Int(ge=0, le=2**32 - 1))
    samples = required(Int(ge=1))
    params = required(DictOf(ParamName, Distribution, 1, "params", "add a parameter, e.g. lr: {loguniform: "
                                                                   "[0.0001, 0.1]}"))


class AdaptiveSearch(Record):
    """Trials proposed one after another by Optuna from the results so far (runtime/nautiform_search.py)."""

    sampler = optional(OneOf("tpe", "cmaes", "random"), "tpe", "How the next trial's parameters are chosen.")
    metric = required(Str(), "The key of the result each trial writes to $NAUTIFORM_RESULT_FILE, e.g. val_loss.")
    direction = optional(OneOf("minimize", "maximize"), "minimize")
    trials = required(Int(ge=1, le=100_000), "The budget: trials in all.")
    parallel = optional(Int(ge=1, le=400), 4, "Trials running at once.")
    seed = optional(Int(ge=0, le=2**32 - 1), 0)
    deadline = optional(Duration, None, "The study's wall-time budget; running trials are stopped after it.")
    retries = optional(Int(ge=0, le=10), 2, "A failed trial runs again this often, with the same parameters.")
    params = required(DictOf(ParamName, Distribution, 1, "params", "add a parameter, e.g. lr: {loguniform: "
                                                                   "[0.0001, 0.1]}"))


class SweepSpec(Record):
    grid = optional(DictOf(ParamName, ListOf(ParamValue, 1, what="a grid axis")))
    points = optional(ListOf(DictOf(ParamName, ParamValue), 1, what="points"))
    random = optional(RandomSearch)
    search = optional(AdaptiveSearch, None, "An adaptive search (Optuna): a small driver proposes each trial.")

    rules = (ExactlyOne("grid", "points", "random", "search", where="sweep"),)


class SweepWorkload(Batch):
    kind = required(OneOf("sweep"))
    nodes = optional(Int(ge=1), None, "Not supported for sweep points yet (lint: nodes-kind).")
    sweep = required(SweepSpec)
    parallelism = optional(Int(ge=1, le=100_000), 4, "Points running at once.")
    backoff_limit_per_index = optional(Int(ge=0, le=100), None, "Retries per point; other points go on when one "
                                       "fails.")

    # Kubernetes counts per-index retries only for pods that are replaced, i.e. restartPolicy Never.
    rules = (When("restart_policy", "^OnFailure$", forbids=("backoff_limit_per_index",),
                  message="`backoff_limit_per_index` needs restart_policy Never (Kubernetes counts a point's retries "
                  "as new pods)", hint="remove one of them"),)


class ServiceWorkload(WorkloadBase):
    """A long-running CPU service: a Deployment and a Service in front of its port."""

    kind = required(OneOf("service"))
    command = optional(Command, None, "Default: the image's own entrypoint.")
    port = required(Int(ge=1, le=65535), "The port the program listens on; the Service forwards it.")
    replicas = optional(Int(ge=1, le=100), 1, "Pods behind the Service.")
    after = optional(ListOf(DnsLabel, 1, what="after"), None, "Not for a service (lint: service-after): it starts "
                     "when it is deployed.")


WORKLOAD_KINDS: dict[str, type[Record]] = {"interactive": Interactive, "job": JobWorkload, "sweep": SweepWorkload,
                                            "service": ServiceWorkload}
Workload = Tagged("kind", WORKLOAD_KINDS, "workload")


class Project(Record):
    version = required(OneOf(1), "Version of the project.yaml language.")
    project = required(ProjectMeta)
    image = required(Image)
    code = optional(Code)
    volumes = optional(DictOf(DnsLabel, Volume), {})
    datasets = optional(DictOf(DnsLabel, Dataset), {})
    values = optional(DictOf(ValueName, ValueDecl), {}, "Values filled at apply time, never in generated/ "
                      "(read by `value_env`).")
    defaults = optional(PodSettings, PodSettings)
    workloads = required(DictOf(DnsLabel, Workload, 1, "workloads", "add one, e.g. train: {kind: job, command: "
                                                                      "[python, train.py]}"))
