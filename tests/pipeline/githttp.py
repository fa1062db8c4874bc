"""A local stand-in of GitLab's git server: `git http-backend` (smart HTTP, shallow and filtered clones)
behind a threaded WSGI server on 127.0.0.1, serving bare repositories `<root>/<group>/<project>.git`.
gitlab-ci-local fetches a component of another project by cloning it from the host of the consuming
project's `origin` remote; this is that host."""
from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _app(root: Path):
    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "PATH": "/usr/bin:/bin",
               "REQUEST_METHOD": environ["REQUEST_METHOD"], "PATH_INFO": environ.get("PATH_INFO", ""),
               "QUERY_STRING": environ.get("QUERY_STRING", ""), "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
               "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", "")}
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        headers, status = [], "200 OK"
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return [payload]
    return app


class GitServer:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.server = make_server("127.0.0.1", 0, _app(root), server_class=_Threaded, handler_class=_Quiet)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, project_path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{project_path}.git"

    def publish(self, project_path: str, source: Path) -> None:
        """Make `source` (a git work tree) available as <project_path>, with its branches and tags."""
        bare = self.root / f"{project_path}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
        subprocess.run(["git", "-C", str(bare), "config", "uploadpack.allowFilter", "true"], check=True)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


COMPONENT_PROJECT = "nautiform/nautiform"  # as in compiler/nautiform/commands/init.py's COMPONENT


def serve_component(root: Path, repo_root: Path, version: str) -> GitServer:
    """A stand-in of the nautiform project on GitLab: this checkout's templates/ (the working tree's, so a
    test sees uncommitted edits) committed and tagged `version`, as a release is."""
    src = root / "component-src"
    (src / "templates").mkdir(parents=True)
    for f in (repo_root / "templates").iterdir():
        (src / "templates" / f.name).write_bytes(f.read_bytes())
    env = {"GIT_AUTHOR_NAME": "nautiform", "GIT_AUTHOR_EMAIL": "ci@nautiform", "GIT_COMMITTER_NAME": "nautiform",
           "GIT_COMMITTER_EMAIL": "ci@nautiform", "PATH": "/usr/bin:/bin", "HOME": str(root)}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", f"nautiform {version}"],
                 ["tag", version]):
        subprocess.run(["git", *args], cwd=src, env=env, check=True, capture_output=True)
    server = GitServer(root / "srv")
    server.publish(COMPONENT_PROJECT, src)
    return server
