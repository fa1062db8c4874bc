"""Stage 2 types: the project.yaml language, version 1.

Every model forbids unknown keys. Pod settings (resources, GPUs, storage,
secrets, placement) appear twice: in `defaults` and in each workload, where a
value set on the workload wins (see resolve.py).
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .fields import (AbsPath, Command, DnsLabel, Duration, EnvName, EnvValue, LabelValue, ParamName, ParamValue,
                     Quantity, fail)


class Model(BaseModel):
    # defer_build: one core schema for Project at first use instead of one per class at import (issue 7)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def exactly_one(model: BaseModel, names: tuple[str, ...], where: str):
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        listed = ", ".join(f"`{n}`" for n in names)
        raise fail("choice", f"{where} needs exactly one of {listed}" +
                   (f"; found {len(given)}" if given else ""), f"keep one of {listed}")
    return model


# ---- project-level -------------------------------------------------------------------------

class ProjectMeta(Model):
    name: DnsLabel = Field(description="Prefix of every object name; lowercase DNS-1123 label.")
    namespace: DnsLabel = Field(description="Your Kubernetes namespace on the cluster.")
    owner: Optional[LabelValue] = Field(None, description="Who to ask about these objects (a label).")
    profile: Literal["nautilus", "generic"] = Field("nautilus", description="Cluster rules to enforce.")


class Build(Model):
    repository: str = Field(description="Registry repository the image is pushed to, without a tag.")
    context: str = Field(".", description="Build context directory, relative to project.yaml.")
    dockerfile: str = Field("Dockerfile", description="Dockerfile path, relative to project.yaml.")


class Image(Model):
    ref: Optional[str] = Field(None, description="A prebuilt image reference.")
    build: Optional[Build] = Field(None, description="Build this image; tagged by a hash of its inputs.")
    pull_secret: Optional[DnsLabel] = Field(None, description="imagePullSecret name for a private registry.")

    @model_validator(mode="after")
    def _one(self):
        return exactly_one(self, ("ref", "build"), "image")


class Code(Model):
    repo: str = Field(description="Git URL cloned at pod start by an init container.")
    ref: str = Field("main", description="Branch, tag or commit to check out.")
    credentials: Optional[DnsLabel] = Field(
        None, description="Secret with keys `user` and `password` (a read_repository token).")
    path: AbsPath = Field("/workspace/code", description="Where the checkout appears; the working directory.")


class Volume(Model):
    size: Optional[Quantity] = Field(None, description="Size of a PVC nautiform creates, e.g. 100Gi.")
    storage_class: Optional[str] = Field(None, description="StorageClass; the profile's default if unset.")
    access_mode: Optional[Literal["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]] = Field(
        None, description="Access mode; the profile's default for the class if unset.")
    existing_claim: Optional[DnsLabel] = Field(None, description="Use this existing PVC instead of creating one.")

    @model_validator(mode="after")
    def _one(self):
        if self.existing_claim is not None and (self.size or self.storage_class or self.access_mode):
            raise fail("choice", "an existing claim takes no size, storage_class or access_mode",
                       "remove them, or remove existing_claim to let nautiform create the PVC")
        if self.existing_claim is None and self.size is None:
            raise fail("choice", "a volume needs `size` (a new PVC) or `existing_claim`", "e.g. size: 50Gi")
        return self


# ---- datasets and outputs (fetched/synced by compiler/runtime/nautiform_data.py) ------------

class HttpSource(Model):
    url: str = Field(description="http(s) URL of one file.")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(description="Its SHA-256, lowercase hex.")


class S3Source(Model):
    bucket: str
    prefix: str = Field("", description="Key prefix to copy; empty for the whole bucket.")
    endpoint: Optional[str] = Field(None, description="S3 endpoint; the profile's (inside the cluster) if unset.")
    credentials: Optional[DnsLabel] = Field(
        None, description="Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    anonymous: bool = Field(False, description="A public bucket: no credentials.")
    tool: Literal["auto", "rclone", "s5cmd", "builtin"] = Field("auto", description="Transfer tool.")
    workers: int = Field(32, ge=1, le=1024, description="Parallel transfers.")


class GitSource(Model):
    repo: str
    ref: str = Field(description="Branch, tag or commit.")
    credentials: Optional[DnsLabel] = Field(None, description="Secret with keys `user` and `password`.")


class HfSource(Model):
    repo: str = Field(description="Hugging Face Hub repository, e.g. org/name.")
    revision: str = Field("main", description="Branch, tag or commit; pin a commit for reproducible runs.")
    repo_type: Literal["model", "dataset"] = "model"
    files: Optional[list[str]] = Field(None, description="Glob patterns of files to fetch (default: all).")
    token: Optional[DnsLabel] = Field(None, description="Secret with key HF_TOKEN, for gated or private repos.")


class Source(Model):
    http: Optional[HttpSource] = None
    s3: Optional[S3Source] = None
    git: Optional[GitSource] = None
    hf: Optional[HfSource] = None

    @model_validator(mode="after")
    def _one(self):
        return exactly_one(self, ("http", "s3", "git", "hf"), "a dataset source")

    @property
    def kind(self) -> str:
        return next(k for k in ("http", "s3", "git", "hf") if getattr(self, k) is not None)


class Dataset(Model):
    source: Source
    unpack: Optional[Literal["tar", "tar.gz", "zip"]] = Field(None, description="Extract the downloaded archive.")
    volume: Optional[DnsLabel] = Field(None, description="Fill once onto this volume, by a data Job.")
    scratch: bool = Field(False, description="Stage into each pod's node-local scratch before it starts.")
    path: Optional[str] = Field(None, description="Relative path on the volume (default datasets/NAME) or "
                                "in scratch (default NAME).")

    @model_validator(mode="after")
    def _where(self):
        if (self.volume is not None) == self.scratch:
            raise fail("choice", "a dataset goes to a `volume` or to `scratch: true`",
                       "volume for big data read by many pods; scratch for many small files")
        if self.path is not None and (self.path.startswith("/") or ".." in self.path.split("/")):
            raise fail("value", f"path {self.path!r} must be relative and stay inside", "e.g. datasets/imagenet")
        return self


class Outputs(Model):
    path: AbsPath = Field("/outputs", description="Directory your program writes results to.")
    to: str = Field(description="s3://bucket/prefix, or volume://VOLUME/sub/path")
    credentials: Optional[DnsLabel] = Field(
        None, description="Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for s3://).")
    endpoint: Optional[str] = Field(None, description="S3 endpoint; the profile's if unset.")

    @model_validator(mode="after")
    def _to(self):
        if not (self.to.startswith("s3://") and len(self.to) > 5) and not (
                self.to.startswith("volume://") and len(self.to) > 9):
            raise fail("value", f"outputs.to {self.to!r} must start with s3:// or volume://",
                       "e.g. s3://my-bucket/runs or volume://results/runs")
        return self

    @property
    def volume_target(self) -> tuple[str, str] | None:
        """(volume, sub/path) for volume://VOLUME/sub/path; None for S3."""
        if not self.to.startswith("volume://"):
            return None
        volume, _, sub = self.to[len("volume://"):].partition("/")
        return volume, sub


# ---- pod settings shared by defaults and workloads ------------------------------------------

class Gpu(Model):
    count: int = Field(1, ge=0, le=64, description="GPUs per pod.")
    products: Optional[list[str]] = Field(None, description="Allowed `nvidia.com/gpu.product` values.")
    min_memory: Optional[Quantity] = Field(None, description="Minimum GPU memory, e.g. 24Gi.")
    resource: Optional[str] = Field(None, description="Override the resource name (default from the profile).")


class Limits(Model):
    cpu: Optional[Quantity] = None
    memory: Optional[Quantity] = None
    ephemeral_storage: Optional[Quantity] = None


class Scratch(Model):
    size: Quantity = Field(description="Node-local disk (emptyDir) size, also requested as ephemeral-storage.")
    path: AbsPath = Field("/scratch", description="Mount path.")


class SecretKey(Model):
    secret: DnsLabel
    key: str


class SecretFiles(Model):
    secret: DnsLabel
    path: AbsPath = Field(description="Directory where the secret's keys appear as files.")


class Toleration(Model):
    key: str
    operator: Literal["Equal", "Exists"] = "Equal"
    value: Optional[str] = None
    effect: Optional[Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]] = None


class PodSettings(Model):
    cpu: Optional[Quantity] = Field(None, description="CPU request, e.g. 4 or 500m.")
    memory: Optional[Quantity] = Field(None, description="Memory request, e.g. 16Gi.")
    ephemeral_storage: Optional[Quantity] = Field(None, description="Local disk request, e.g. 20Gi.")
    limits: Optional[Limits] = Field(None, description="Limits; default: equal to the requests.")
    gpu: Optional[Gpu] = None
    region: Optional[list[str]] = Field(None, description="topology.kubernetes.io/region values allowed.")
    tolerations: Optional[list[Toleration]] = None
    priority_class: Optional[str] = None
    mounts: Optional[dict[str, AbsPath]] = Field(None, description="Volume name -> mount path.")
    scratch: Optional[Scratch] = None
    shm: Optional[Quantity] = Field(None, description="Size of a memory-backed /dev/shm.")
    env: Optional[dict[EnvName, EnvValue]] = None
    secret_env: Optional[dict[EnvName, SecretKey]] = Field(None, description="Env vars read from secret keys.")
    secret_files: Optional[list[SecretFiles]] = None
    datasets: Optional[list[DnsLabel]] = Field(None, description="Datasets this workload reads.")


POD_FIELDS = tuple(PodSettings.model_fields)


# ---- workloads -----------------------------------------------------------------------------

class Interactive(PodSettings):
    kind: Literal["interactive"]
    command: Command = Field(("sleep", "infinity"), description="Default: sleep until deleted.")
    deadline: Duration = Field(6 * 3600, description="activeDeadlineSeconds; the pod is stopped after it.")


class Batch(PodSettings):
    command: Command
    backoff_limit: int = Field(2, ge=0, le=1000, description="Retries before the Job fails.")
    ttl_after_finished: Duration = Field(7 * 86400, description="Delete the finished Job after this.")
    deadline: Optional[Duration] = Field(None, description="activeDeadlineSeconds of the Job.")
    outputs: Optional[Outputs] = Field(None, description="Results synced out when the command ends, even on "
                                       "failure; a sweep gets one prefix per point.")


class JobWorkload(Batch):
    kind: Literal["job"]


FloatRange = Annotated[list[float], Field(min_length=2, max_length=2)]  # [low, high]
IntRange = Annotated[list[int], Field(min_length=2, max_length=2)]


class Distribution(Model):
    choice: Optional[list[ParamValue]] = Field(None, min_length=1)
    uniform: Optional[FloatRange] = None
    loguniform: Optional[FloatRange] = None
    randint: Optional[IntRange] = None

    @model_validator(mode="after")
    def _one(self):
        exactly_one(self, ("choice", "uniform", "loguniform", "randint"), "a distribution")
        low_high = self.uniform or self.loguniform or self.randint
        if low_high and not low_high[0] < low_high[1]:
            raise fail("range", f"the range {list(low_high)} is empty", "write [low, high] with low < high")
        if self.loguniform and self.loguniform[0] <= 0:
            raise fail("range", "loguniform needs a positive low end")
        return self


class RandomSearch(Model):
    seed: int = Field(ge=0, le=2**32 - 1)
    samples: int = Field(ge=1)
    params: dict[ParamName, Distribution] = Field(min_length=1)


class SweepSpec(Model):
    grid: Optional[dict[ParamName, Annotated[list[ParamValue], Field(min_length=1)]]] = None
    points: Optional[Annotated[list[dict[ParamName, ParamValue]], Field(min_length=1)]] = None
    random: Optional[RandomSearch] = None

    @model_validator(mode="after")
    def _one(self):
        return exactly_one(self, ("grid", "points", "random"), "sweep")


class SweepWorkload(Batch):
    kind: Literal["sweep"]
    sweep: SweepSpec
    parallelism: int = Field(4, ge=1, le=100_000, description="Points running at once.")
    backoff_limit_per_index: Optional[int] = Field(
        None, ge=0, le=100, description="Retries per point; other points go on when one fails.")


Workload = Annotated[Union[Interactive, JobWorkload, SweepWorkload], Field(discriminator="kind")]
WORKLOAD_KINDS = {"interactive": Interactive, "job": JobWorkload, "sweep": SweepWorkload}


class Project(Model):
    version: Literal[1] = Field(description="Version of the project.yaml language.")
    project: ProjectMeta
    image: Image
    code: Optional[Code] = None
    volumes: dict[DnsLabel, Volume] = Field(default_factory=dict)
    datasets: dict[DnsLabel, Dataset] = Field(default_factory=dict)
    defaults: PodSettings = Field(default_factory=PodSettings)
    workloads: dict[DnsLabel, Workload] = Field(min_length=1)
