"""`nautiform mr-note` (issue 16.3) against a local stand-in of GitLab's merge-request notes API: one note,
found again by its marker across pages and updated in place; cut with a link past the size limit; the
artifact when no token is set; the token never printed."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from nf_testlib import nautiform

TOKEN = "glpat-" + "standin-0123456789abcdef"  # split: no token-shaped literal in the tree
NOTES = "/api/v4/projects/42/merge_requests/7/notes"
MAX = 1_000_000


class FakeGitLab:
    """GET (paginated: per_page, page, X-Next-Page, X-Total-Pages), POST and PUT of one MR's notes, with
    GitLab's PRIVATE-TOKEN check and note length limit."""

    def __init__(self):
        self.notes: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, data, headers: dict | None = None):
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _authorized(self) -> bool:
                fake.requests.append((self.command, self.path))
                if self.headers.get("PRIVATE-TOKEN") != TOKEN:
                    self._send(401, {"message": "401 Unauthorized"})
                    return False
                return True

            def _body(self):
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if len(data["body"]) > MAX:
                    self._send(400, {"message": {"note": [f"is too long (maximum is {MAX} characters)"]}})
                    return None
                return data["body"]

            def do_GET(self):
                url = urlparse(self.path)
                if url.path != NOTES or not self._authorized():
                    return self._send(404, {}) if url.path != NOTES else None
                q = parse_qs(url.query)
                per, page = min(int(q.get("per_page", ["20"])[0]), 100), int(q.get("page", ["1"])[0])
                pages = max(1, -(-len(fake.notes) // per))
                self._send(200, fake.notes[(page - 1) * per: page * per],
                           {"X-Next-Page": str(page + 1) if page < pages else "", "X-Total-Pages": str(pages)})

            def do_POST(self):
                if self.path != NOTES or not self._authorized():
                    return None
                body = self._body()
                if body is not None:
                    note = {"id": 1000 + len(fake.notes), "body": body, "system": False, "author": {"username": "bot"}}
                    fake.notes.append(note)
                    self._send(201, note)

            def do_PUT(self):
                if not self.path.startswith(NOTES + "/") or not self._authorized():
                    return None
                note = next((n for n in fake.notes if n["id"] == int(self.path.rsplit("/", 1)[1])), None)
                body = self._body()
                if note is None:
                    return self._send(404, {"message": "404 Not found"})
                if body is not None:
                    note["body"] = body
                    self._send(200, note)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v4"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def marked(self) -> list[dict]:
        return [n for n in self.notes if n["body"].startswith("<!-- nautiform-plan -->")]


@pytest.fixture
def gitlab():
    fake = FakeGitLab()
    # A busy merge request: 130 notes by people and GitLab (one quotes the marker), so ours lands on page 2.
    for i in range(130):
        fake.notes.append({"id": i + 1, "system": i % 10 == 0,
                           "body": "see <!-- nautiform-plan --> above" if i == 5 else f"review comment {i}"})
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def ci_env(gitlab, token: str | None = TOKEN) -> dict:
    env = {"CI_API_V4_URL": gitlab.url, "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7",
           "CI_JOB_URL": "https://gitlab.example/lab/proj/-/jobs/99", "NAUTIFORM_GITLAB_TOKEN": token or ""}
    return env


def test_one_note_created_then_updated_in_place(gitlab, tmp_path):
    plan = tmp_path / ".nautiform" / "plan.md"
    plan.parent.mkdir()
    plan.write_text("### nautiform plan: 1 to create\n")
    first = nautiform("mr-note", ".nautiform/plan.md", cwd=tmp_path, env=ci_env(gitlab))
    assert first.code == 0 and first.out == "posted the plan to merge request !7\n", first.err
    (note,) = gitlab.marked()
    assert note["body"] == "<!-- nautiform-plan -->\n### nautiform plan: 1 to create\n"
    plan.write_text("### nautiform plan: 2 to create\n")
    second = nautiform("mr-note", ".nautiform/plan.md", cwd=tmp_path, env=ci_env(gitlab))
    assert second.code == 0 and second.out == f"updated the plan in merge request !7 (note {note['id']})\n"
    assert gitlab.marked() == [{**note, "body": "<!-- nautiform-plan -->\n### nautiform plan: 2 to create\n"}]
    assert len(gitlab.notes) == 131
    pages = [path for method, path in gitlab.requests if method == "GET"]
    assert len(pages) == 4 and "page=2" in pages[-1] and "per_page=100" in pages[-1]  # two runs, two pages each
    assert [m for m, _ in gitlab.requests if m != "GET"] == ["POST", "PUT"]


def test_a_plan_too_long_for_a_note_is_cut_with_a_link(gitlab, tmp_path):
    (tmp_path / "plan.md").write_text("| create | Job | `x` |\n" * 60_000)  # 1.32 million characters
    run = nautiform("mr-note", "plan.md", cwd=tmp_path, env=ci_env(gitlab))
    assert run.code == 0, run.err
    (note,) = gitlab.marked()
    assert len(note["body"]) <= MAX and len(note["body"]) > MAX - 300
    assert note["body"].endswith("The whole plan: https://gitlab.example/lab/proj/-/jobs/99/artifacts/file/plan.md\n")


def test_without_a_token_the_plan_stays_the_artifact(gitlab, tmp_path):
    (tmp_path / "plan.md").write_text("plan\n")
    run = nautiform("mr-note", "plan.md", cwd=tmp_path, env=ci_env(gitlab, token=None))
    assert run.code == 0 and run.out == ("NAUTIFORM_GITLAB_TOKEN is not set: no merge-request note; the plan is this "
                                         "job's artifact (plan.md)\n")
    outside = nautiform("mr-note", "plan.md", cwd=tmp_path, env={**ci_env(gitlab), "CI_MERGE_REQUEST_IID": ""})
    assert outside.code == 0 and outside.out.startswith("this is not a merge-request pipeline: no merge-request note")
    assert gitlab.requests == []


def test_a_refused_token_is_an_error_that_never_shows_the_token(gitlab, tmp_path):
    (tmp_path / "plan.md").write_text("plan\n")
    wrong = "glpat-" + "wrong-token-fedcba9876543210"
    run = nautiform("mr-note", "plan.md", cwd=tmp_path, env=ci_env(gitlab, token=wrong))
    assert run.code == 1 and run.out == ""
    assert run.err.startswith(f"error: the plan note for merge request !7: GET {gitlab.url}/projects/42/merge_requests/7"
                              "/notes answered 401 Unauthorized")
    assert "api scope" in run.err and wrong not in run.err and TOKEN not in run.err
    assert gitlab.marked() == []
