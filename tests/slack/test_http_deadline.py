"""Slow clients cannot hold the HTTP server (issue 22 §3, attack finding 2): the whole request, headers and body,
must arrive within one deadline (not a timeout per read), and one client address holds at most its share of the
connection slots, so a signed Slack delivery is served while slow sockets are open."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import App

from bot.slack.server import MAX_CONNECTIONS_PER_CLIENT, _Quiet, _ThreadingWSGIServer, wsgi_app
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed


class _Impatient(_Quiet):
    timeout = 0.5  # the whole request within half a second


class _Small(_ThreadingWSGIServer):
    max_connections = 8
    max_connections_per_client = 3


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    try:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    except TimeoutError:  # as bot/slack/server.py's routes answer it
        start_response("408 Request Timeout", [("Content-Length", "0")])
        return []
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def small() -> Iterator[int]:
    httpd = make_server("127.0.0.1", 0, _hello, server_class=_Small, handler_class=_Impatient)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


def _trickle(sock: socket.socket, first: bytes, piece: bytes, stop: threading.Event) -> None:
    """Send `first`, then `piece` every 0.1 s (well inside any per-read timeout) until the server hangs up."""
    try:
        sock.sendall(first)
        while not stop.wait(0.1):
            sock.sendall(piece)
    except OSError:
        pass


@pytest.mark.parametrize(
    ("first", "piece"),
    [
        (b"POST / HTTP/1.0\r\nHost: x\r\n", b"X-a: b\r\n"),  # a header line now and then
        (b"POST / HTTP/1.0\r\nHost: x\r\nX-Long: ", b"a"),  # one header line, a byte at a time
        (b"POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", b"a"),  # the body, a byte at a time
    ],
    ids=["header-lines", "one-header-bytewise", "body-bytewise"],
)
def test_a_trickling_client_is_dropped_at_the_whole_request_deadline(small: int, first: bytes, piece: bytes) -> None:
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", small), timeout=30) as sock:
        sender = threading.Thread(target=_trickle, args=(sock, first, piece, stop), daemon=True)
        sender.start()
        try:
            got = sock.recv(100)  # the server gives up long before 30 s: it hangs up, or answers 408
        except ConnectionResetError:
            got = b""
        finally:
            stop.set()
            sender.join(5)
    assert got == b"" or got.startswith(b"HTTP/1.0 408")


def test_a_complete_request_is_still_served(small: int) -> None:
    with socket.create_connection(("127.0.0.1", small), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        assert sock.recv(100).startswith(b"HTTP/1.0 200")


def _open(port: int, source: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    return sock


def test_one_client_address_holds_at_most_its_share_of_slots(small: int) -> None:
    socks = [_open(small, "127.0.0.2") for _ in range(8)]
    try:
        answers = [s.recv(100) for s in socks]  # 503 at once for those over the share; b"" when dropped
        assert sum(a.startswith(b"HTTP/1.1 503") for a in answers) == 8 - _Small.max_connections_per_client
        assert sum(a == b"" for a in answers) == _Small.max_connections_per_client
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("sources", [["127.0.0.2"], ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]])
def test_a_signed_delivery_is_served_while_64_slow_sockets_are_open(harness: Harness, sources: list[str]) -> None:
    port = urlparse(harness.endpoint).port
    assert port is not None
    socks = [_open(port, sources[i % len(sources)]) for i in range(64)]
    try:
        status, _ = post_signed(
            harness.endpoint, SECRET, event(message("hello"), event_id="EvSlow"), "application/json"
        )
        assert status == 200
        held = min(64, len(sources) * MAX_CONNECTIONS_PER_CLIENT)
        refused = 0
        for s in socks:  # those over their address's share were answered 503 at once
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                refused += s.recv(100).startswith(b"HTTP/1.1 503")
        assert refused >= 64 - held
    finally:
        for s in socks:
            s.close()


def test_the_slack_route_answers_408_when_the_body_misses_the_deadline() -> None:
    class _Late(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise TimeoutError("the request was not sent within the deadline")

    answered: list[str] = []
    route = wsgi_app(App(token="xoxb-test", signing_secret=SECRET, token_verification_enabled=False))
    environ = {"PATH_INFO": "/slack/events", "CONTENT_LENGTH": "100", "wsgi.input": io.BufferedReader(_Late())}
    body = b"".join(route(environ, lambda status, headers: answered.append(status)))
    assert answered == ["408 Request Timeout"] and b"in time" in body
