"""A small fake of the Slack Web API on 127.0.0.1 (port 0) that records every call and lets a test wait for one."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the call arrived


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    thread_parents: dict[str, str] = field(default_factory=dict)  # ts -> text, for conversations.replies
    thread_authors: dict[str, str] = field(default_factory=dict)  # ts -> the parent's author (user id)
    base_url: str = ""
    uploads: dict[str, str] = field(default_factory=dict)  # file id -> the bytes uploaded (as text)
    groups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> members
    refuse_uploads: bool = False
    # method -> answers given before the normal one, in order: (HTTP status, JSON body, headers), e.g. a 429 with
    # Retry-After, or {"ok": false, "error": "msg_too_long"}
    fail: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = field(default_factory=dict)
    hold: dict[str, threading.Event] = field(
        default_factory=dict
    )  # method -> answered only once set  # answer files.getUploadURLExternal as Slack does without files:write
    # method -> how many of its next calls are answered HTTP 429 with Retry-After: `retry_after` (Slack's limits)
    throttle: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _cv: threading.Condition = field(default_factory=threading.Condition)

    def handle(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        for key in ("blocks", "view"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        with self._cv:
            self.calls.append(Call(method, body))
            self._cv.notify_all()
        gate = self.hold.get(method)
        if gate is not None:
            gate.wait(30)
        if method == "auth.test":
            return {"ok": True, "team_id": "T111", "user_id": "UBOT", "bot_id": "BBOT", "team": "Test", "user": "s3why"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": f"1800000000.{next(self._ts):06d}"}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "conversations.replies":
            return {
                "ok": True,
                "messages": [
                    {
                        "ts": body.get("ts"),
                        "text": self.thread_parents.get(str(body.get("ts")), ""),
                        **(
                            {"user": self.thread_authors[str(body["ts"])]}
                            if str(body.get("ts")) in self.thread_authors
                            else {}
                        ),
                    }
                ],
            }
        if method == "files.getUploadURLExternal" and self.refuse_uploads:
            return {"ok": False, "error": "missing_scope", "needed": "files:write"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}
        if method.startswith("upload/"):
            self.uploads[method.removeprefix("upload/")] = str(body.get("raw", ""))
            return {"ok": True}
        if method == "files.completeUploadExternal":
            files = json.loads(body["files"]) if isinstance(body.get("files"), str) else body.get("files", [])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.groups.get(str(body.get("usergroup")), [])}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V1"}}
        return {"ok": True}

    def throttled(self, method: str, body: dict[str, Any]) -> bool:
        """True (and the call recorded as `429:METHOD`) when this call is to be refused with HTTP 429."""
        with self._cv:
            if self.throttle.get(method, 0) <= 0:
                return False
            self.throttle[method] -= 1
            self.calls.append(Call("429:" + method, body))
            return True

    def wait_for(self, method: str, count: int = 1, timeout: float = 120.0) -> list[Call]:
        with self._cv:
            self._cv.wait_for(lambda: len(self.of(method)) >= count, timeout=timeout)
            got = self.of(method)
        assert len(got) >= count, f"expected {count} {method}, got {[c.method for c in self.calls]}"
        return got

    def of(self, method: str) -> list[Call]:
        with self._cv:
            return [c for c in self.calls if c.method == method]

    def everything_posted(self) -> str:
        return json.dumps([c.body for c in self.calls])


def start_fake_slack() -> tuple[FakeSlack, ThreadingHTTPServer, str]:
    fake = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            path = urlparse(self.path).path
            if path.startswith("/upload/"):
                body: dict[str, Any] = {"raw": raw}
            elif raw.startswith("{"):
                body = json.loads(raw)
            else:
                body = {k: v[0] for k, v in parse_qs(raw).items()}
            method = path.removeprefix("/api/") if path.startswith("/api/") else path.lstrip("/")
            if fake.throttled(method, body):
                refused = b'{"ok": false, "error": "ratelimited"}'
                self.send_response(429)
                self.send_header("Retry-After", str(fake.retry_after))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(refused)))
                self.end_headers()
                self.wfile.write(refused)
                return
            queued = fake.fail.get(method)
            status, headers = 200, dict[str, str]()
            if queued:
                status, answer, headers = queued.pop(0)
                with fake._cv:
                    fake.calls.append(Call(method, {**body, "_failed": status}))
                    fake._cv.notify_all()
            else:
                answer = fake.handle(method, body)
            out = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return fake, server, fake.base_url
