"""The HTTP server times out slow clients, caps connections, and can serve /metrics on its own port (issue 22 §3)."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest

from bot.slack.server import _Quiet, _ThreadingWSGIServer, metrics_app


class _Small(_ThreadingWSGIServer):
    max_connections = 2


class _Impatient(_Quiet):
    timeout = 0.5


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def server() -> Iterator[int]:
    httpd = make_server("127.0.0.1", 0, _hello, server_class=_Small, handler_class=_Impatient)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


def _get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        return s.recv(200)


def test_connections_over_the_cap_are_answered_503_and_slow_clients_are_dropped(server: int) -> None:
    idle = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(2)]  # send nothing
    try:
        assert _get(server).startswith(b"HTTP/1.1 503")
        for s in idle:  # the server gives up on them after its read timeout, and closes
            assert s.recv(100) == b""
        assert _get(server).startswith(b"HTTP/1.0 200")  # their slots are free again
    finally:
        for s in idle:
            s.close()


def test_metrics_can_be_served_alone() -> None:
    httpd = make_server("127.0.0.1", 0, metrics_app, server_class=_ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}"
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:
            assert r.status == 200 and b"s3why" in r.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/slack/events", timeout=10)
        assert refused.value.code == 404
    finally:
        httpd.shutdown()
