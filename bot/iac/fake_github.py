"""A local fake of the GitHub REST API (the few endpoints a pull request needs), on port 0: for the tests and for
`s3why demo`, which opens its pull request against it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGitHub:
    url: str = ""
    token: str = "ghp_test_token_for_the_fake"
    pulls: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Authorization


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            auth = self.headers.get("Authorization")
            state.calls.append((self.command, self.path, auth))
            if auth != f"token {state.token}" and auth != f"Bearer {state.token}":
                self._send(401, {"message": "Bad credentials"})
                return False
            return True

        def do_GET(self) -> None:
            if not self._authorized():
                return
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "repos":
                full = f"{parts[1]}/{parts[2]}"
                self._send(200, {"full_name": full, "url": f"{state.url}/repos/{full}", "name": parts[2]})
                return
            self._send(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            if not self._authorized():
                return
            parts = self.path.strip("/").split("/")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if len(parts) == 4 and parts[0] == "repos" and parts[3] == "pulls":
                if any(p["head"] == body.get("head") for p in state.pulls):
                    self._send(422, {"message": "A pull request already exists for this branch"})
                    return
                number = len(state.pulls) + 1
                full = f"{parts[1]}/{parts[2]}"
                pull = {**body, "number": number, "html_url": f"https://github.example/{full}/pull/{number}"}
                state.pulls.append(pull)
                self._send(
                    201,
                    {
                        **pull,
                        "url": f"{state.url}/repos/{full}/pulls/{number}",
                        "head": {"ref": body["head"]},
                        "base": {"ref": body["base"]},
                    },
                )
                return
            self._send(404, {"message": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
