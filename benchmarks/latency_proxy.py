"""A latency-injecting HTTP proxy in front of an emulated AWS (moto), recording when each request ran.

Every request waits `latency` seconds before it is forwarded, and the proxy records its start (arrival) and end
(answer written) on one monotonic clock. From those intervals `sequential_rounds` computes the depth of the
critical path: the longest chain of requests each of which started only after the previous one had ended. With
an injected latency far above the client's own per-call overhead, requests made together overlap and requests
that waited for another's answer do not, so the depth is the number of sequential AWS rounds a collection
needs, whatever the machine's speed.

Point boto3 at it with `AWS_ENDPOINT_URL=<proxy.url>`; the proxy forwards method, path, headers and body
unchanged (moto does not check signatures against the host).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True, slots=True)
class Interval:
    """One request through the proxy: `start`/`end` in seconds on `time.monotonic()`'s clock."""

    start: float
    end: float
    service: str
    operation: str


def sequential_rounds(intervals: list[Interval]) -> int:
    """The critical-path depth: the longest chain a1, a2, ... with a(i+1).start >= a(i).end (0 for none)."""
    ordered = sorted(intervals, key=lambda i: i.start)
    depth: list[int] = []
    for n, cur in enumerate(ordered):
        before = [depth[m] for m in range(n) if ordered[m].end <= cur.start]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def rounds_of(intervals: list[Interval]) -> list[list[str]]:
    """The requests grouped by their depth on the critical path (round 1 first), as `service:Operation`."""
    ordered = sorted(intervals, key=lambda i: i.start)
    depth: list[int] = []
    for n, cur in enumerate(ordered):
        depth.append(1 + max((depth[m] for m in range(n) if ordered[m].end <= cur.start), default=0))
    out: list[list[str]] = [[] for _ in range(max(depth, default=0))]
    for d, cur in zip(depth, ordered, strict=True):
        out[d - 1].append(f"{cur.service}:{cur.operation}")
    return [sorted(r) for r in out]


def _operation(headers: Any, body: bytes, method: str, path: str) -> tuple[str, str]:
    """(service, operation) of a signed AWS request, best effort, for the record only."""
    found = _SCOPE.search(headers.get("Authorization", ""))
    service = found.group(1) if found else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if body and b"Action=" in body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return service, form.get("Action", ["?"])[0]
    query = urllib.parse.urlsplit(path).query
    return service, f"{method} {urllib.parse.urlsplit(path).path}{'?' + query if query else ''}"


class LatencyProxy:
    """`with LatencyProxy(upstream, latency=0.1) as proxy:` ... `proxy.intervals`, `proxy.url`."""

    def __init__(self, upstream: str, *, latency: float = 0.1) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.latency = latency
        self.intervals: list[Interval] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _relay(self) -> None:
                start = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                time.sleep(proxy.latency)
                conn = http.client.HTTPConnection(
                    proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=30
                )
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for k, v in answer.getheaders():
                        if k.lower() not in _HOP_BY_HOP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    self.wfile.flush()
                finally:
                    conn.close()
                service, operation = _operation(self.headers, body, self.command, self.path)
                with proxy._lock:
                    proxy.intervals.append(Interval(start, time.monotonic(), service, operation))

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a burst of new connections is queued, not refused (a refused SYN costs 1 s)
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.intervals.clear()

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
