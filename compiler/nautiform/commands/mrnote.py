"""`nautiform mr-note FILE`: the plan as ONE merge-request note, updated in place on every pipeline.

A chain of plan comments, one per push, becomes unreadable (Atlantis' open issues); so the note carries
a hidden marker, the next pipeline finds it (all pages of the MR's notes) and replaces its body. Needs
NAUTIFORM_GITLAB_TOKEN: a project access token with `api` scope (GitLab's CI_JOB_TOKEN cannot write
notes). Without it, or outside a merge-request pipeline, the plan stays the job's artifact and this says
so. A plan longer than a note may be (GitLab: 1,000,000 characters) is cut, with a link to the artifact.
The token is sent only in the PRIVATE-TOKEN header and never printed.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

MARKER = "<!-- nautiform-plan -->"
LIMIT = 1_000_000  # GitLab's maximum note length, in characters
TOKEN = "NAUTIFORM_GITLAB_TOKEN"


class ApiError(Exception):
    pass


def mr_note(path: Path) -> int:
    token = os.environ.get(TOKEN, "")
    iid = os.environ.get("CI_MERGE_REQUEST_IID", "")
    if not token or not iid:
        why = f"{TOKEN} is not set" if not token else "this is not a merge-request pipeline"
        print(f"{why}: no merge-request note; the plan is this job's artifact ({path})")
        return 0
    missing = [v for v in ("CI_API_V4_URL", "CI_PROJECT_ID") if not os.environ.get(v)]
    if missing:
        print(f"error: {', '.join(missing)} not set: cannot find the merge request\n  hint: run mr-note in a GitLab "
              "merge-request pipeline", file=sys.stderr)
        return 1
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {getattr(exc, 'strerror', None) or exc}\n  hint: run `nautiform plan "
              f"--markdown {path}` first", file=sys.stderr)
        return 1
    api = GitLab(os.environ["CI_API_V4_URL"], os.environ["CI_PROJECT_ID"], iid, token)
    body = note_body(text, artifact_link(path))
    try:
        note = find(api.notes())
        if note is None:
            api.send("POST", api.base, body)
            print(f"posted the plan to merge request !{iid}")
        else:
            api.send("PUT", f"{api.base}/{note['id']}", body)
            print(f"updated the plan in merge request !{iid} (note {note['id']})")
    except ApiError as exc:
        print(f"error: the plan note for merge request !{iid}: {exc}", file=sys.stderr)
        return 1
    return 0


def note_body(text: str, link: str) -> str:
    """The marker, then the plan; cut to fit a note, ending with a link to the whole plan."""
    body = f"{MARKER}\n{text}"
    if len(body) <= LIMIT:
        return body
    tail = f"\n\n---\n**The plan is too long for a note: it is cut here.** The whole plan: {link}\n"
    return body[:LIMIT - len(tail)] + tail


def artifact_link(path: Path) -> str:
    job = os.environ.get("CI_JOB_URL", "")
    return f"{job}/artifacts/file/{path.as_posix()}" if job else f"the job's artifact {path.as_posix()}"


def find(notes) -> dict | None:
    """The earlier plan note: written by a person's token (not a system note) and starting with the marker."""
    for note in notes:
        if not note.get("system") and str(note.get("body", "")).startswith(MARKER):
            return note
    return None


class GitLab:
    """GitLab's notes API for one merge request: GET (every page), POST, PUT."""

    def __init__(self, api: str, project: str, iid: str, token: str):
        self.base = f"{api.rstrip('/')}/projects/{urllib.parse.quote(project, safe='')}/merge_requests/{iid}/notes"
        self._token = token

    def notes(self):
        page = "1"
        while page:
            query = urllib.parse.urlencode({"per_page": 100, "page": page, "sort": "asc", "order_by": "created_at"})
            data, headers = self._call("GET", f"{self.base}?{query}")
            yield from data
            page = headers.get("X-Next-Page", "")

    def send(self, method: str, url: str, body: str) -> dict:
        return self._call(method, url, {"body": body})[0]

    def _call(self, method: str, url: str, payload: dict | None = None):
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "PRIVATE-TOKEN": self._token, "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null"), resp.headers
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            hint = (f" (is {TOKEN} a project access token with api scope, allowed on this project?)"
                    if exc.code in (401, 403) else "")
            raise ApiError(f"{method} {url.split('?')[0]} answered {exc.code} {exc.reason}: {detail}{hint}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ApiError(f"{method} {url.split('?')[0]} failed: {getattr(exc, 'reason', None) or exc}") from None
