"""`nautiform image`: the image the project needs, for the pipeline's build job.

Prints shell-style `KEY=value` lines (a GitLab dotenv report): NAUTIFORM_IMAGE, NAUTIFORM_CONTEXT,
NAUTIFORM_DOCKERFILE, and NAUTIFORM_IMAGE_EXISTS (true when the registry already has the tag, so the
build is skipped: same inputs, same tag).
"""
from __future__ import annotations

import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .. import report
from ..pipeline import compile_file


def image(path: Path, out: Path, check_registry: bool) -> int:
    result = compile_file(path, out)
    if not result.ok:
        print(report.text(result.diagnostics, report.source_lines_of(path)), file=sys.stderr)
        return 1
    project = result.project.project
    ref = result.project.image
    build = project.image.build
    lines = {"NAUTIFORM_IMAGE": ref, "NAUTIFORM_BUILD": "true" if build else "false"}
    if build:
        base = path.parent
        lines["NAUTIFORM_CONTEXT"] = (base / build.context).as_posix()
        lines["NAUTIFORM_DOCKERFILE"] = (base / build.dockerfile).as_posix()
        if check_registry:
            lines["NAUTIFORM_IMAGE_EXISTS"] = "true" if tag_exists(ref) else "false"
    print("".join(f"{k}={v}\n" for k, v in lines.items()), end="")
    return 0


def tag_exists(ref: str) -> bool:
    """Ask the registry (Docker Registry HTTP API v2) whether `ref` exists; any failure means 'build it'."""
    repo, tag = ref.rsplit(":", 1)
    host, name = repo.split("/", 1)
    scheme = "http" if os.environ.get("NAUTIFORM_REGISTRY_INSECURE") == "true" else "https"
    url = f"{scheme}://{host}/v2/{name}/manifests/{tag}"
    accept = ", ".join(["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json"])
    headers = {"Accept": accept}
    try:
        return _head(url, headers)
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            return False
        token = _token(exc.headers.get("WWW-Authenticate", ""))
        if not token:
            return False
        try:
            return _head(url, {**headers, "Authorization": f"Bearer {token}"})
        except (urllib.error.URLError, OSError):
            return False
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _head(url: str, headers: dict) -> bool:
    req = urllib.request.Request(url, headers=headers, method="HEAD")
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.status == 200


def _token(challenge: str) -> str | None:
    """Bearer token exchange with the CI registry credentials (never printed)."""
    if not challenge.lower().startswith("bearer "):
        return None
    params = dict(part.split("=", 1) for part in challenge[7:].split(",") if "=" in part)
    params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
    query = "&".join(f"{k}={urllib.parse.quote(params[k])}" for k in ("service", "scope") if k in params)
    req = urllib.request.Request(f"{params.get('realm', '')}?{query}")
    user, password = os.environ.get("CI_REGISTRY_USER"), os.environ.get("CI_REGISTRY_PASSWORD")
    if user and password:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data.get("token") or data.get("access_token")
