"""A local fake of IAM Access Analyzer's policy checks, for botocore's real HTTP stack.

Moto lacks these calls, so tests run this small HTTP server on port 0 and point botocore at it with
`AWS_ENDPOINT_URL_ACCESSANALYZER`. It speaks the model's rest-json protocol (botocore `accessanalyzer`
2019-11-01): `POST /policy/validation`, `POST /policy/check-no-public-access`, `POST /policy/check-no-new-access`.
Requests must be SigV4-signed for the `access-analyzer` signing name, as botocore signs them.

Rules (a small subset of AWS's, enough to exercise s3why's handling): ValidatePolicy returns the findings a test
queued; CheckNoPublicAccess FAILs when an Allow statement names Principal "*" without a Condition;
CheckNoNewAccess FAILs when the new document has an Allow statement the existing one lacks, one reason each.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class FakeAnalyzer:
    findings: list[dict[str, Any]] = field(default_factory=list)  # what ValidatePolicy answers
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, body) per request
    url: str = ""


def _statements(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text)
    st = doc.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _handler(fake: FakeAnalyzer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: Any, error: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            fake.requests.append((self.path.split("?")[0], body))
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("AWS4-HMAC-SHA256") or "/access-analyzer/aws4_request" not in auth:
                self._send(403, {"message": "missing or wrong SigV4 signature"}, "AccessDeniedException")
                return
            path = self.path.split("?")[0]
            if path == "/policy/validation":
                self._send(200, {"findings": fake.findings})
            elif path == "/policy/check-no-public-access":
                public = [
                    s
                    for s in _statements(body["policyDocument"])
                    if s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"}) and "Condition" not in s
                ]
                result = "FAIL" if public else "PASS"
                self._send(200, {"result": result, "message": "public" if public else "not public", "reasons": []})
            elif path == "/policy/check-no-new-access":
                old = {json.dumps(s, sort_keys=True) for s in _statements(body["existingPolicyDocument"])}
                new = [
                    s
                    for s in _statements(body["newPolicyDocument"])
                    if s.get("Effect") == "Allow" and json.dumps(s, sort_keys=True) not in old
                ]
                reasons = [{"description": f"statement {s.get('Sid', '')} grants {s.get('Action')}"} for s in new]
                self._send(200, {"result": "FAIL" if new else "PASS", "message": "new access", "reasons": reasons})
            else:
                self._send(404, {"message": "unknown path"}, "ResourceNotFoundException")

    return Handler


@pytest.fixture
def analyzer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnalyzer]:
    """The fake, with botocore pointed at it and s3why allowed to ask it (this process and its subprocesses)."""
    fake = FakeAnalyzer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True, name="fake-access-analyzer").start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", fake.url)
    monkeypatch.setenv("S3WHY_ACCESS_ANALYZER", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
