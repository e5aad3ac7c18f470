"""Shared fixtures: paths to shared/ and fixtures, and a real Redis connection."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# `s3why serve` with Redis needs the proposal signing key; every server a test starts inherits this one
os.environ.setdefault("S3WHY_PROPOSAL_KEY", "test-proposal-key-" + uuid.uuid4().hex)


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


TEST_ROOT = "s3why-test:"  # every key a test run writes starts with TEST_ROOT + its run's id
# Commands whose every argument is a key, commands that name their keys after a count, and commands with none.
_ALL_KEYS = frozenset({"DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "WATCH"})
_COUNTED_KEYS = frozenset({"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})
_NO_KEYS = frozenset(
    {"PING", "INFO", "SCAN", "CLIENT", "SCRIPT", "SELECT", "MULTI", "EXEC", "DISCARD", "UNWATCH", "HELLO", "AUTH"}
    | {"COMMAND", "DBSIZE", "TIME", "ECHO", "MEMORY", "PUBLISH", "SUBSCRIBE", "UNSUBSCRIBE", "READONLY"}
)
_NEVER = frozenset({"FLUSHDB", "FLUSHALL", "CONFIG", "SHUTDOWN", "SWAPDB", "MOVE", "DEBUG"})


def _redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _keys(client: redis.Redis, match: str = "*") -> set[str]:
    return {k.decode("utf-8", "replace") for k in client.scan_iter(match=match, count=1000)}


def _delete(client: redis.Redis, keys: set[str]) -> None:
    for key in keys:
        client.delete(key)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _command_keys(args: tuple[Any, ...]) -> tuple[str, list[str]]:
    """(the command's name, the keys it names) for a command as redis-py sends it."""
    name = _text(args[0]).split(" ")[0].upper() if args else ""
    if name in _NO_KEYS or name in _NEVER:
        return name, []
    if name in _ALL_KEYS:
        return name, [_text(a) for a in args[1:]]
    if name in _COUNTED_KEYS:
        count = int(_text(args[2])) if len(args) > 2 else 0
        return name, [_text(a) for a in args[3 : 3 + count]]
    return name, [_text(args[1])] if len(args) > 1 else []


class RedisGuard:
    """Watches every command this process sends to the Redis database the run was given (REDIS_URL; servers a
    test starts itself are its own): a key outside the run's prefix, or a command that touches the whole
    database, is recorded, and the test that sent it fails at its teardown."""

    def __init__(self, prefix: str) -> None:
        given = redis.Redis.from_url(_redis_url()).connection_pool.connection_kwargs
        self.where = (str(given.get("host", "localhost")), int(given.get("port", 6379)), int(given.get("db", 0)))
        self.prefix = prefix
        self.outside: list[str] = []
        self._saved: dict[str, Any] = {}

    def _ours(self, client: Any) -> bool:
        kw = client.connection_pool.connection_kwargs
        host = str(kw.get("host", "localhost"))
        return (host, int(kw.get("port", 6379)), int(kw.get("db", 0))) == self.where

    def check(self, client: Any, args: tuple[Any, ...]) -> None:
        if not self._ours(client):
            return
        name, keys = _command_keys(args)
        if name in _NEVER:
            self.outside.append(f"{name} (the whole database)")
        self.outside.extend(f"{name} {k}" for k in keys if not k.startswith(self.prefix))

    def install(self) -> None:
        guard = self
        targets = {
            "execute_command": redis.Redis,
            "pipeline_execute_command": redis.client.Pipeline,
            "immediate_execute_command": redis.client.Pipeline,
        }
        for method, cls in targets.items():
            original = getattr(cls, method)
            self._saved[method] = (cls, original)

            def checked(client: Any, *args: Any, __original: Any = original, **options: Any) -> Any:
                guard.check(client, args)
                return __original(client, *args, **options)

            setattr(cls, method, checked)

    def uninstall(self) -> None:
        for method, (cls, original) in self._saved.items():
            setattr(cls, method, original)

    def take(self) -> list[str]:
        found, self.outside = self.outside, []
        return found


@pytest.fixture(scope="session")
def redis_run(request: pytest.FixtureRequest) -> Iterator[RedisGuard]:
    """This run's key prefix (one per xdist worker), and the checks that the run kept to it.

    The Redis database is given to the run (REDIS_URL), not owned by it: other runs and people may share it, so
    nothing is flushed and only this run's keys are looked at. Each command this process sends is checked as it
    goes (RedisGuard: the test that wrote outside the prefix fails); the processes a test starts get the prefix
    through S3WHY_REDIS_PREFIX. At the end the session fails (an error at the teardown of its last test) when keys
    of this run remain, or when a key carries the run's prefix anywhere but at its start (built from a test's
    prefix but written outside it, in any process).
    """
    worker = getattr(request.config, "workerinput", {}) or {}
    run = f"{str(worker.get('testrunuid') or uuid.uuid4().hex)[:12]}-{worker.get('workerid', 'main')}"
    guard = RedisGuard(f"{TEST_ROOT}{run}:")
    client = redis.Redis.from_url(_redis_url(), socket_connect_timeout=2)
    client.ping()  # fails loudly, never skips, when no server is there
    guard.install()
    yield guard
    guard.uninstall()
    left = _keys(client, guard.prefix + "*")
    misplaced = {k for k in _keys(client, f"*{guard.prefix}*") if not k.startswith(guard.prefix)}
    outside = guard.take()
    _delete(client, left | misplaced)
    client.close()
    problems = []
    if left:
        problems.append(f"{len(left)} keys of this run were left behind: {sorted(left)[:5]}")
    if misplaced:
        problems.append(f"{len(misplaced)} keys built from the run's prefix but outside it: {sorted(misplaced)[:5]}")
    if outside:
        problems.append(f"commands outside the run's prefix after the last test: {outside[:5]}")
    if problems:
        pytest.fail(f"the test run did not keep to its Redis prefix {guard.prefix}: " + "; ".join(problems))


@pytest.fixture(autouse=True)
def redis_keys(redis_run: RedisGuard, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """One test's key prefix under its run's, given to s3why through S3WHY_REDIS_PREFIX (every key s3why writes,
    in this process and in the processes a test starts, begins with it); every key under it is deleted after, and
    the test fails if it sent a command outside its run's prefix."""
    prefix = f"{redis_run.prefix}{uuid.uuid4().hex[:16]}:"
    monkeypatch.setenv("S3WHY_REDIS_PREFIX", prefix)
    yield prefix
    outside = redis_run.take()
    client = redis.Redis.from_url(_redis_url(), socket_connect_timeout=2)
    try:
        _delete(client, _keys(client, prefix + "*"))
    finally:
        client.close()
    if outside:
        pytest.fail(f"this test sent Redis commands outside its prefix {prefix}: {outside[:5]}")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A real Redis connection (scripts/test guarantees REDIS_URL points at a live server).

    The server is shared: tests write only under keys they own (see `redis_prefix`) and never flush it.
    """
    client = redis.Redis.from_url(_redis_url(), socket_connect_timeout=2)
    client.ping()  # fails loudly, never skips, when no server is there
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_keys: str) -> str:
    """The test's key prefix (under its run's): s3why's own default keys go under it too (S3WHY_REDIS_PREFIX);
    every key under it is deleted afterwards."""
    return redis_keys


class OwnRedis:
    """A redis-server this test starts (and may stop and restart), on a free port."""

    def __init__(self, tmp: Path) -> None:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (scripts/test installs it)")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail("the test's own redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
