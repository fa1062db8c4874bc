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
