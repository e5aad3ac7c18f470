"""The real Bolt app over HTTP (threaded WSGI, port 0), a fake Slack Web API, moto in server mode, real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import make_server

import pytest
import redis
from slack_sdk import WebClient

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import Approvals
from bot.approve.store import PatchStore
from bot.approve.writer import Writer
from bot.cache import MemoryCache
from bot.config import Config
from bot.slack.app import Store, create_app
from bot.slack.runner import LiveDiagnoser
from bot.slack.server import _Quiet, _ThreadingWSGIServer, wsgi_app
from tests.account.conftest import moto, moto_url
from tests.slack.fake_slack import FakeSlack, start_fake_slack

__all__ = ["moto", "moto_url"]
SECRET = "test-signing-secret"


class AppServer(_ThreadingWSGIServer):
    """The app's HTTP server; `shutdown` also waits for the work its requests started (the app's listener
    executor), so nothing an answer writes to Redis lands after the test's keys were removed."""

    app: Any = None

    def shutdown(self) -> None:
        super().shutdown()
        if self.app is not None:
            self.app.listener_runner.listener_executor.shutdown(wait=True)


@dataclass
class Harness:
    fake: FakeSlack
    slack_url: str
    endpoint: str
    store: Store
    gate: threading.Event  # AWS calls wait on it when a test makes AWS slow


@pytest.fixture
def fake_slack() -> Iterator[tuple[FakeSlack, str]]:
    fake, server, url = start_fake_slack()
    yield fake, url
    server.shutdown()


def start_app(
    fake_url: str,
    store: Store,
    gate: threading.Event,
    config: Config | None = None,
    patches: PatchStore | None = None,
    **app_options: Any,
) -> tuple[str, Any]:
    """The app over HTTP; `app_options` go to `create_app` (e.g. `runs_per_user_minute`)."""

    def wait_for_gate(**_: Any) -> None:
        gate.wait(30)  # returns nothing: botocore would take any value as the HTTP response

    def slow_aws(made: Any) -> None:
        made.meta.events.register("before-send.*.*", wait_for_gate)

    client = WebClient(token="xoxb-test", base_url=f"{fake_url}/api/")
    sessions = SessionProvider(config or Config(), client_hook=slow_aws)
    diagnoser = LiveDiagnoser(Collector(sessions, MemoryCache()))
    approvals = None
    if patches is not None:
        approvals = Approvals(
            patches,
            Writer(sessions),
            config or Config(),
            diagnoser.verify,
            diagnoser.invalidate,
            rebuild=diagnoser.rebuild,
        )
    app_options.setdefault("asker", diagnoser.can)  # `/s3why can`, wired as `s3why serve` wires it
    app = create_app(
        client=client,
        signing_secret=SECRET,
        config=config or Config(),
        store=store,
        diagnoser=diagnoser,
        approvals=approvals,
        **app_options,
    )
    httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=AppServer, handler_class=_Quiet)
    httpd.app = app
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}/slack/events", httpd


@pytest.fixture
def harness(
    moto: str, fake_slack: tuple[FakeSlack, str], redis_client: redis.Redis, redis_prefix: str
) -> Iterator[Harness]:
    fake, url = fake_slack
    store = Store(redis_client, prefix=redis_prefix)
    gate = threading.Event()
    gate.set()
    endpoint, httpd = start_app(url, store, gate)
    yield Harness(fake, url, endpoint, store, gate)
    gate.set()
    httpd.shutdown()


def wait_for_log(caplog: pytest.LogCaptureFixture, words: str, count: int = 1, timeout: float = 30.0) -> None:
    """Wait until the app logged `count` lines with these words: its listeners run in threads, and a reply it
    leaves alone posts nothing to wait for, only this line (a test never guesses how long it takes)."""
    deadline = time.monotonic() + timeout
    while sum(words in r.getMessage() for r in caplog.records) < count:
        assert time.monotonic() < deadline, f"no log line {words!r} within {timeout} s"
        time.sleep(0.02)
