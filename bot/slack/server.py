"""`s3why serve`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP (`/slack/events`, `/healthz`)."""

from __future__ import annotations

import logging
import os
import signal
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import Approvals
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


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: a burst of Slack deliveries must not be refused (default 5)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def wsgi_app(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    handler = SlackRequestHandler(app)

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", METRICS_CONTENT_TYPE)])
            return [METRICS.render().encode()]
        if path == "/slack/events":
            with METRICS.timer("s3why_slack_ack_seconds"):  # Bolt answers once the listener has acked
                return handler(environ, start_response)
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
    require_ready(client)  # AWS credentials and the Slack token, one line each (bot/startup.py)
    config = config if config is not None else load_config(os.environ.get("S3WHY_CONFIG"))
    url = os.environ.get("REDIS_URL") if use_redis else None
    store = Store(redis_client(url) if url else None)
    sessions = SessionProvider(config, client_hook=client_hook)
    cache = cache_from_env(url, config.cache_ttls)
    METRICS.gauge("s3why_cache_hit_ratio", lambda: cache.hits / max(1, cache.hits + cache.misses))
    diagnoser = LiveDiagnoser(Collector(sessions, cache))
    approvals = None
    if url:  # proposals must outlive a process and be seen by every replica: Redis, or no approve buttons
        patches = PatchStore(redis_client(url), ttl_seconds=int(config.proposal_ttl_hours * 3600))
        approvals = Approvals(patches, Writer(sessions), config, diagnoser.verify, diagnoser.invalidate)
    else:
        log.warning("REDIS_URL is not set: fixes are shown without approve buttons")
    return create_app(
        client=client, signing_secret=secret, config=config, store=store, diagnoser=diagnoser, approvals=approvals
    )


def serve(port: int, app: App | None = None) -> int:
    configure_logs(json_lines=os.environ.get("S3WHY_LOG_FORMAT", "json") != "text")
    quiet_third_party()
    app = app or build_app_from_env()
    app_token = os.environ.get("SLACK_APP_TOKEN")
    if app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("s3why: Socket Mode")
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return 0
    httpd = make_server("0.0.0.0", port, wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_Quiet)
    stopping = threading.Event()

    def stop(*_: Any) -> None:  # graceful: stop accepting, let in-flight requests finish
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("s3why: HTTP on port %d (/slack/events, /healthz)", port)
    httpd.serve_forever(poll_interval=0.2)
    return 0
