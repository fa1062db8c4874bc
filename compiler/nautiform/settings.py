"""Records of the settings issue 14 added (real Nautilus projects that did not fit project.yaml): security
context, emptyDirs, setup steps, submit-time values, the data Job's own settings, S3 credentials under other
key names, GCS sources. model.py puts them into the language; this keeps model.py readable.
"""
from __future__ import annotations

from .crossfield import Excludes, Requires
from .fields import Command, DnsLabel, Duration, EnvName, ImageRef, Quantity
from .records import Bool, Int, ListOf, OneOf, Record, Str, optional, required

_ID = Int(ge=0, le=2**31 - 1)
# The downward API's fields a container's env may read (Kubernetes: EnvVarSource.fieldRef).
FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
               "status.podIP", "status.hostIP")
FieldPath = OneOf(*FIELD_PATHS)


class EmptyDir(Record):
    """A scratch directory that lives as long as the pod."""

    size = optional(Quantity, None, "sizeLimit; on disk it is also requested (and limited) as ephemeral-storage.")
    memory = optional(Bool(), False, "Memory-backed (tmpfs): fast, and counts against the memory limit.")


class Security(Record):
    """The pod's securityContext: who the processes run as, and who owns mounted volumes."""

    run_as_user = optional(_ID, None, "UID of every container's processes.")
    run_as_group = optional(_ID, None, "Primary GID of every container's processes.")
    fs_group = optional(_ID, None, "Group that owns mounted volumes (and is added to the processes).")
    fs_group_change_policy = optional(OneOf("OnRootMismatch", "Always"), None, "OnRootMismatch skips the "
                                      "recursive chown of a big volume whose root already fits.")
    run_as_non_root = optional(Bool(), None, "Refuse to start a container whose user is root.")
    supplemental_groups = optional(ListOf(_ID),
                                   None, "More GIDs for the processes.")


class SetupStep(Record):
    """An init container that runs before the main one, after the code checkout and the datasets."""

    name = required(DnsLabel, "The step's name: its container is setup-NAME.")
    command = required(Command, "argv list, or one line run by /bin/sh -c.")
    image = optional(ImageRef, None, "Default: the workload's image.")
    as_root = optional(Bool(), False, "Run this step as root (uid 0), e.g. to chown a volume.")


class ValueDecl(Record):
    """A value filled at apply time (never in generated/): `--value NAME=...`, NAUTIFORM_VALUE_<NAME>,
    `from_env`, then `default`."""

    description = optional(Str(), None, "What the value is, for people.")
    default = optional(Str(), None, "Used when nothing else gives the value; without one, apply needs it.")
    from_env = optional(EnvName, None, "An environment variable apply reads it from, e.g. CI_PIPELINE_ID.")


class DataJob(Record):
    """The data Job that fills a volume dataset."""

    image = optional(ImageRef, None, "Its image (needs python3); default: the profile's data image.")
    cpu = optional(Quantity, None, "CPU request = limit (default 2).")
    memory = optional(Quantity, None, "Memory request = limit (default 4Gi).")
    ttl_after_finished = optional(Duration, None, "Delete the finished Job after this (default 7d).")


class CredentialKeys(Record):
    """The keys of an S3 Secret that hold the access key id and the secret key, when they are not
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."""

    access_key_id = required(Str(), "Key holding the access key id.")
    secret_access_key = required(Str(), "Key holding the secret access key.")


S3_RULES = (Requires("credential_keys", "credentials", hint="name the Secret in `credentials`"),
            Requires("s3cfg", "credentials", hint="name the Secret that holds the s3cmd config in `credentials`"),
            Excludes("s3cfg", "credential_keys", hint="an s3cmd config holds both keys: remove `credential_keys`"))
S3_DOCS = {"credential_keys": "The Secret's key names, when not AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.",
           "s3cfg": "The Secret's key holding an s3cmd config (access_key, secret_key), e.g. .s3cfg."}


class GcsSource(Record):
    """A Google Cloud Storage bucket, read through its S3-compatible XML API (HMAC keys)."""

    bucket = required(Str())
    prefix = optional(Str(), "", "Object prefix to copy; empty for the whole bucket.")
    credentials = optional(DnsLabel, None, "Secret with an HMAC key: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    credential_keys = optional(CredentialKeys, None, S3_DOCS["credential_keys"])
    anonymous = optional(Bool(), False, "A public bucket: no credentials.")
    tool = optional(OneOf("auto", "rclone", "s5cmd", "builtin"), "auto", "Transfer tool.")
    workers = optional(Int(ge=1, le=1024), 32, "Parallel transfers.")

    rules = S3_RULES[:1]


GCS_ENDPOINT = "https://storage.googleapis.com"  # GCS's XML API speaks S3 (SigV4 with HMAC keys)
