"""A local fake of AWS's iam-toolbox REST API (IAM Access Troubleshooter), for botocore's real HTTP stack.

Moto lacks the service, so tests run this small HTTP server on port 0 and point botocore at it with
`AWS_ENDPOINT_URL_IAM_TOOLBOX`. It speaks the model's rest-json protocol (botocore `iam-toolbox` 2018-05-10):
`GET /authorization-details/{id}[?nextToken=...]` and `GET /authorization-details/{id}/policy?policyUri=...`;
errors carry `x-amzn-ErrorType` and `{"message": ...}` with the model's status codes. Requests must be SigV4
signed for the `iam` signing name, as botocore signs them.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

EXPIRED, FORBIDDEN, OTHER_ORG, THROTTLED = "expired", "forbidden", "other-org", "throttled"
_ERRORS = {
    EXPIRED: (404, "ResourceNotFoundException", "Authorization details not found or expired."),
    FORBIDDEN: (
        403,
        "AccessDeniedException",
        "User is not authorized to perform: iam:GetRequestAuthorizationDetails",
    ),
    OTHER_ORG: (
        403,
        "AccessDeniedException",
        "The caller does not belong to the organization recorded for the denied principal.",
    ),
    THROTTLED: (400, "ThrottlingException", "Rate exceeded"),
}


@dataclass
class Recorded:
    details: dict[str, Any]  # requestContext, evaluations, policies
    documents: dict[str, Any]  # policy uri -> document as at the denial
    state: str = "ok"
    page_size: int = 0  # >0: split evaluations into pages of this size


@dataclass
class FakeToolbox:
    records: dict[str, Recorded] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "METHOD path" per request, for "not re-fetched" tests
    url: str = ""

    def add(self, authorization_id: str, details: dict[str, Any], documents: dict[str, Any], **kw: Any) -> None:
        self.records[authorization_id] = Recorded(details, documents, **kw)


def _handler(fake: FakeToolbox) -> type[BaseHTTPRequestHandler]:
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

        def do_GET(self) -> None:
            fake.requests.append(f"GET {self.path}")
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("AWS4-HMAC-SHA256") or "/iam/aws4_request" not in auth:
                self._send(403, {"message": "missing or wrong SigV4 signature"}, "AccessDeniedException")
                return
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
            if len(parts) < 2 or parts[0] != "authorization-details":
                self._send(404, {"message": "unknown path"}, "ResourceNotFoundException")
                return
            record = fake.records.get(parts[1])
            if record is None:
                status, code, message = _ERRORS[EXPIRED]
                self._send(status, {"message": message}, code)
                return
            if record.state in _ERRORS:
                status, code, message = _ERRORS[record.state]
                self._send(status, {"message": message}, code)
                return
            if len(parts) == 3 and parts[2] == "policy":
                uri = (query.get("policyUri") or [""])[0]
                if uri not in record.documents:
                    self._send(404, {"message": f"no policy {uri}"}, "ResourceNotFoundException")
                    return
                self._send(200, {"policyDocument": record.documents[uri]})
                return
            body = dict(record.details)
            if record.page_size:
                start = int((query.get("nextToken") or ["0"])[0])
                evaluations = record.details.get("evaluations", [])
                body["evaluations"] = evaluations[start : start + record.page_size]
                if start:
                    body["policies"] = []
                if start + record.page_size < len(evaluations):
                    body["nextToken"] = str(start + record.page_size)
            self._send(200, body)

    return Handler


def start_fake_toolbox() -> tuple[FakeToolbox, ThreadingHTTPServer]:
    fake = FakeToolbox()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True, name="fake-iam-toolbox").start()
    return fake, server


@pytest.fixture
def toolbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeToolbox]:
    """The fake, with botocore pointed at it (for this process and the subprocesses it starts)."""
    fake, server = start_fake_toolbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM_TOOLBOX", fake.url)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


# -----------------------------------------------------------------------------------------------------------
# Real-shaped records
# -----------------------------------------------------------------------------------------------------------
def record_details(
    *,
    action: str,
    resource: str,
    effect: str,
    checks: list[dict[str, Any]],
    policies: list[dict[str, Any]],
    context: dict[str, Any],
) -> dict[str, Any]:
    return {
        "requestContext": context,
        "evaluations": [
            {"action": action, "resource": resource, "context": {}, "evaluatedEffect": effect, "checks": checks}
        ],
        "policies": policies,
    }
