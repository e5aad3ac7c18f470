"""`s3why serve`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP (`/slack/events`, `/healthz`)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socketserver
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import Approvals
from bot.approve.signing import key_from_env
from bot.approve.store import PatchStore
from bot.approve.writer import Writer
from bot.cache import cache_from_env, redis_client
from bot.config import Config, load_config
from bot.errors import UsageError
from bot.logs import configure as configure_logs
from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import METRICS
from bot.noise import quiet_third_party
from bot.slack.app import Store, create_app
from bot.slack.runner import LiveDiagnoser
from bot.startup import require_ready

log = logging.getLogger("s3why.serve")


MAX_CONNECTIONS = 128  # connections served at once; more are answered 503 at once (Slack retries), never queued
# connections one client address may hold at once, so one client cannot take every slot; behind a proxy or load
# balancer every client has the proxy's address: raise it with S3WHY_MAX_CONNECTIONS_PER_CLIENT (the proxy limits)
MAX_CONNECTIONS_PER_CLIENT = 16
CLIENT_TIMEOUT_SECONDS = 10.0  # the whole request (headers and body) within this, or the client is dropped
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per connection, at most `max_connections` at once; errors are one log line, never a traceback."""

    daemon_threads = True
    request_queue_size = 256  # the listen backlog: a burst of Slack deliveries must not be refused (default 5)
    max_connections = MAX_CONNECTIONS
    max_connections_per_client = MAX_CONNECTIONS_PER_CLIENT

    def server_activate(self) -> None:
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._held: Counter[str] = Counter()  # connections held now, per client address
        self._held_lock = threading.Lock()
        super().server_activate()

    def _admit(self, client: str) -> str | None:
        """Take a slot for this client, or say why not (all slots taken, or this client holds its share)."""
        with self._held_lock:
            if self._held[client] >= self.max_connections_per_client:
                return "client"
            if not self._slots.acquire(blocking=False):
                return "connections"
            self._held[client] += 1
            return None

    def _leave(self, client: str) -> None:
        with self._held_lock:
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]
            self._slots.release()

    def process_request(self, request: Any, client_address: Any) -> None:
        client = str(client_address[0]) if isinstance(client_address, tuple) and client_address else ""
        refused = self._admit(client)
        if refused is not None:
            METRICS.inc("s3why_http_refused_total", reason=refused)
            with contextlib.suppress(OSError):  # the client may be gone already
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._leave(client)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """ThreadingMixIn's, with the slot given back *before* the connection is closed: a client that sees the
        close and connects again at once is admitted (it was answered 503 when the close came first)."""
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self._leave(str(client_address[0]) if isinstance(client_address, tuple) and client_address else "")
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("http connection dropped", extra={"error": type(sys.exc_info()[1]).__name__})


class _DeadlineReader(io.RawIOBase):
    """The request's bytes under one deadline for the whole request, headers and body: each read may wait only
    for what is left of it, so a client trickling a byte or a header line now and then is still dropped."""

    def __init__(self, sock: Any, deadline: float, write_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._write_timeout = write_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request was not sent within the deadline")
        self._sock.settimeout(left)
        try:
            return int(self._sock.recv_into(buffer))
        finally:
            self._sock.settimeout(self._write_timeout)  # the answer's writes: a timeout per send, as before


class _Quiet(WSGIRequestHandler):
    timeout = CLIENT_TIMEOUT_SECONDS  # the whole request within this (see _DeadlineReader); each send within it

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        deadline = time.monotonic() + float(self.timeout or CLIENT_TIMEOUT_SECONDS)
        raw = _DeadlineReader(self.connection, deadline, float(self.timeout or CLIENT_TIMEOUT_SECONDS))
        self.rfile = io.BufferedReader(raw)

    def log_message(self, *args: Any) -> None:
        pass


MAX_REQUEST_BYTES = 1 << 20  # Slack's largest deliveries (a 40,000-character message with its blocks) fit well


def _status(start_response: Callable[..., Any], status: str, error: str) -> list[bytes]:
    body = json.dumps({"error": error}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


_INTERACTIVE = frozenset(
    {"block_actions", "block_suggestion", "view_submission", "view_closed", "message_action", "shortcut"}
)


def _shape_problem(body: dict[str, Any]) -> str | None:
    """What Slack always sends that this body lacks, for the parts Bolt reads before any listener runs."""
    for name in ("event", "view", "container", "message"):
        if name in body and not isinstance(body[name], dict):
            return f"the payload's {name} is not an object"
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return "the event is missing"
    user = body.get("user")
    if body.get("type") in _INTERACTIVE and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return "the payload's user is missing"
    actions = body.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    ):
        return "the payload's actions are not a list of actions"
    return None


def body_problem(raw: bytes, content_type: str) -> str | None:
    """Why Bolt could not read this body as a Slack payload (None when it can): what Bolt's parser expects, a
    JSON object, or a form whose `payload` is a JSON object (slack_bolt.request.internals.parse_body), with the
    parts Bolt reads before any listener (`event`, `actions`, `view`, ...) of the types Slack sends."""
    try:
        body = raw.decode("utf-8")
        parsed: Any = None
        if content_type.split(";")[0].strip() == "application/json" or body.startswith("{"):
            parsed = json.loads(body) if body else {}
            if not isinstance(parsed, dict):
                return "the JSON body is not an object"
        elif "payload" in body:
            payload = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
            parsed = json.loads(payload) if payload is not None else {}
            if not isinstance(parsed, dict):
                return "the payload is not a JSON object"
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    except ValueError:
        return "the body is not valid JSON"
    return _shape_problem(parsed) if isinstance(parsed, dict) else None


def metrics_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Prometheus metrics (`/metrics`): on the main port, or alone on `S3WHY_METRICS_PORT`."""
    if environ.get("PATH_INFO", "") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", METRICS_CONTENT_TYPE)])
    return [METRICS.render().encode()]


def health_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Socket Mode's HTTP side: `/healthz` and `/metrics` only (Slack's events arrive over the socket)."""
    if environ.get("PATH_INFO", "") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    return metrics_app(environ, start_response)


def wsgi_app(
    app: App, signing_secret: str | None = None, *, metrics_here: bool = True
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """The HTTP routes. Every Slack delivery is refused before Bolt sees it when it is larger than
    MAX_REQUEST_BYTES (413, the body never read) or signed but unreadable (400); each refusal is one JSON log
    line without the body. `signing_secret` defaults to the app's own."""
    handler = SlackRequestHandler(app)
    verifier = SignatureVerifier(signing_secret or getattr(app, "_signing_secret", "") or "")

    def slack_events(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            log.warning("slack request refused: bad Content-Length", extra={"status": 400})
            return _status(start_response, "400 Bad Request", "bad Content-Length")
        if length > MAX_REQUEST_BYTES:
            log.warning("slack request refused: too large", extra={"status": 413, "bytes": length})
            return _status(start_response, "413 Payload Too Large", "request too large")
        try:
            raw = environ["wsgi.input"].read(length) if length else b""
        except OSError as exc:  # TimeoutError: the body did not arrive within the request's deadline
            log.warning("slack request refused: body not received", extra={"status": 408, "error": type(exc).__name__})
            return _status(start_response, "408 Request Timeout", "request body not received in time")
        if len(raw) < length:
            log.warning("slack request refused: body cut short", extra={"status": 400, "bytes": len(raw)})
            return _status(start_response, "400 Bad Request", "request body shorter than its Content-Length")
        environ["wsgi.input"] = io.BytesIO(raw)  # Bolt reads the same bytes again
        problem = body_problem(raw, environ.get("CONTENT_TYPE") or "")
        if problem is not None:
            signed = verifier.is_valid(
                body=raw,
                timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "",
                signature=environ.get("HTTP_X_SLACK_SIGNATURE") or "",
            )
            if not signed:
                log.warning("slack request refused: invalid signature", extra={"status": 401})
                return _status(start_response, "401 Unauthorized", "invalid request")
            log.warning(f"slack request refused: {problem}", extra={"status": 400, "bytes": length})
            return _status(start_response, "400 Bad Request", problem)

        def answered(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            if status.startswith("401"):  # Bolt refused the signature: one line of s3why's own, never the body
                log.warning("slack request refused: invalid signature", extra={"status": 401, "bytes": length})
            return start_response(status, headers, *rest)

        try:
            return handler(environ, answered)
        except Exception as exc:  # one line, no traceback, no body
            log.error("slack request failed", extra={"status": 500, "error": type(exc).__name__})
            return _status(start_response, "500 Internal Server Error", "internal error")

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/metrics" and metrics_here:
            return metrics_app(environ, start_response)
        if path == "/slack/events":
            with METRICS.timer("s3why_slack_ack_seconds"):  # Bolt answers once the listener has acked
                return slack_events(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return route


def build_app_from_env(
    config: Config | None = None, client_hook: Callable[[Any], None] | None = None, *, use_redis: bool = True
) -> App:
    """The app as `s3why serve` runs it; the demo passes its own configuration and emulated-AWS hook."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    secret = os.environ.get("SLACK_SIGNING_SECRET")
    if not token or not secret:
        raise UsageError("s3why serve needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment")
    base = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    client = WebClient(token=token, base_url=base if base.endswith("/") else base + "/")
    # the configuration first (local, fails closed: FILE:LINE), then AWS credentials and the Slack token
    config = config if config is not None else load_config(os.environ.get("S3WHY_CONFIG"))
    require_ready(client)  # AWS credentials and the Slack token, one line each (bot/startup.py)
    url = os.environ.get("REDIS_URL") if use_redis else None
    store = Store(redis_client(url) if url else None)
    sessions = SessionProvider(config, client_hook=client_hook)
    cache = cache_from_env(url, config.cache_ttls)
    METRICS.gauge("s3why_cache_hit_ratio", lambda: cache.hits / max(1, cache.hits + cache.misses))
    diagnoser = LiveDiagnoser(Collector(sessions, cache))
    approvals = None
    if url:  # proposals must outlive a process and be seen by every replica: Redis, or no approve buttons
        patches = PatchStore(
            redis_client(url), ttl_seconds=int(config.proposal_ttl_hours * 3600), key=key_from_env(required=True)
        )
        approvals = Approvals(
            patches, Writer(sessions), config, diagnoser.verify, diagnoser.invalidate, rebuild=diagnoser.rebuild
        )
    else:
        log.warning("REDIS_URL is not set: fixes are shown without approve buttons")
    return create_app(
        client=client,
        signing_secret=secret,
        config=config,
        store=store,
        diagnoser=diagnoser,
        approvals=approvals,
        asker=diagnoser.can,
    )


def serve(port: int, app: App | None = None) -> int:
    configure_logs(json_lines=os.environ.get("S3WHY_LOG_FORMAT", "json") != "text")
    quiet_third_party()
    app = app or build_app_from_env()
    app_token = os.environ.get("SLACK_APP_TOKEN")
    if app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        # the container's health check and Prometheus still need an HTTP port: /healthz and /metrics only
        health = make_server("0.0.0.0", port, health_app, server_class=_ThreadingWSGIServer, handler_class=_Quiet)
        threading.Thread(target=health.serve_forever, name="s3why-health", daemon=True).start()
        log.info("s3why: Socket Mode (/healthz and /metrics on port %d)", health.server_port)
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return 0
    metrics_port = os.environ.get("S3WHY_METRICS_PORT")
    if metrics_port:  # /metrics on its own port (e.g. reachable only inside the cluster), not on the public one
        if not metrics_port.isdigit() or not 0 < int(metrics_port) < 65536:
            raise UsageError(f"S3WHY_METRICS_PORT must be a port number (1-65535), not {metrics_port[:20]!r}")
        metrics = make_server("0.0.0.0", int(metrics_port), metrics_app, server_class=_ThreadingWSGIServer,
                              handler_class=_Quiet)  # fmt: skip
        threading.Thread(target=metrics.serve_forever, name="s3why-metrics", daemon=True).start()
        log.info("s3why: metrics on port %d (/metrics)", metrics.server_port)
    app_routes = wsgi_app(app, metrics_here=not metrics_port)
    per_client = os.environ.get("S3WHY_MAX_CONNECTIONS_PER_CLIENT")
    if per_client is not None and not (per_client.isdigit() and 0 < int(per_client) <= MAX_CONNECTIONS):
        raise UsageError(f"S3WHY_MAX_CONNECTIONS_PER_CLIENT must be 1-{MAX_CONNECTIONS}, not {per_client[:20]!r}")
    httpd = make_server("0.0.0.0", port, app_routes, server_class=_ThreadingWSGIServer, handler_class=_Quiet)
    if per_client is not None:
        httpd.max_connections_per_client = int(per_client)
    stopping = threading.Event()

    def stop(*_: Any) -> None:  # graceful: stop accepting, let in-flight requests finish
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("s3why: HTTP on port %d (/slack/events, /healthz)", port)
    httpd.serve_forever(poll_interval=0.2)
    # The work already acknowledged (a diagnosis, its answer being posted) finishes before the process ends: the
    # listener executor's workers are daemon threads, which the interpreter would otherwise drop at exit.
    executor = getattr(getattr(app, "listener_runner", None), "listener_executor", None)
    if isinstance(executor, Executor):
        executor.shutdown(wait=True)
    return 0
