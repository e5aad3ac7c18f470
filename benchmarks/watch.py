"""`s3why watch` against the emulator's SQS (moto in server mode), real Redis and the fake Slack Web API, each
worker a whole `s3why watch` process:

- events per second per worker process, warm cache (the causes already diagnosed and collected);
- how that grows with 1, 2 and 4 processes on one queue (this machine's cores bound it);
- the time from an event's SendMessage to its Slack post (a process long-polling the queue);
- the Slack calls a burst of 10,000 events from 200 sessions and 12 causes makes (target: one post per cause
  plus thread updates, never one per event).

Needs REDIS_URL (or a Redis on 127.0.0.1:6379); keys live under a namespace of the run's own and are deleted.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from benchmarks.run import Row

ROOT = Path(__file__).resolve().parent.parent
ROLES = 12  # one cause each: no identity policy grants them s3:GetObject on the bucket
SESSIONS = 200


@dataclass
class _Bench:
    queue_url: str
    slack_url: str
    fake: Any
    ns: str
    config: Path

    def send(self, bodies: list[str]) -> None:
        from bot.demo.emulator import client

        sqs = client("sqs")
        small = [b for b in bodies if len(b) <= 64 * 1024]  # ten to a batch stays under SQS's 1 MiB a batch
        for i in range(0, len(small), 10):
            entries = [{"Id": str(j), "MessageBody": b} for j, b in enumerate(small[i : i + 10])]
            sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        for body in bodies:
            if len(body) > 64 * 1024:
                sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def processes(self, n: int, *args: str) -> list[subprocess.Popen[str]]:
        env = {
            **os.environ,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": f"{self.slack_url}/api/",
            "S3WHY_CONFIG": str(self.config),
            "S3WHY_REDIS_NAMESPACE": self.ns,
            "S3WHY_LOG_FORMAT": "text",
        }
        cmd = [sys.executable, "-m", "bot", "watch", "--queue-url", self.queue_url, *args]
        return [
            subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for _ in range(n)
        ]

    def drain(self, n: int) -> tuple[float, float, list[dict[str, int]]]:
        """(wall seconds, CPU seconds of the processes, their summaries) of `n` processes draining the queue."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        procs = self.processes(n, "--once", "--json")
        outs = [json.loads(p.communicate(timeout=1800)[0]) for p in procs]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return time.perf_counter() - start, cpu, outs


def _events(n: int, *, seed: int = 0, roles: str = "job") -> list[dict[str, Any]]:
    from tests.watch.support import record

    return [
        record(
            role=f"{roles}-{i % ROLES}",
            session=f"s-{(i * 7 + seed) % SESSIONS}",
            key=f"raw/2026/12/03/part-{(i * 13 + seed) % 500}.parquet",
            event_id=str(uuid.uuid4()),
            event_time=f"2026-12-03T10:{(i // 600) % 60:02d}:{(i // 10) % 60:02d}Z",
        )
        for i in range(n)
    ]


@contextmanager
def _environment() -> Iterator[_Bench]:
    from bot.demo.emulator import client, start_emulated_aws
    from tests.slack.fake_slack import start_fake_slack

    _, stop_aws = start_emulated_aws()
    fake, slack_server, slack_url = start_fake_slack()
    r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ns = f"s3why-bench-{uuid.uuid4().hex}:"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "s3why.yaml"
        config.write_text(
            "watch:\n  default_channel: C0BENCH\n  visibility_timeout_seconds: 300\n  update_seconds: 5\n"
        )
        try:
            iam, s3 = client("iam"), client("s3")
            s3.create_bucket(Bucket="lake")
            trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            for i, prefix in ((i, p) for i in range(ROLES) for p in ("job", "burst")):
                iam.create_role(
                    RoleName=f"{prefix}-{i}",
                    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
                )
            queue = client("sqs").create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "300"})
            yield _Bench(queue["QueueUrl"], slack_url, fake, ns, config)
        finally:
            for key in r.scan_iter(match=f"*{ns}*"):
                r.delete(key)
            slack_server.shutdown()
            stop_aws()


def bench_watch(per_process: int = 1000, stages: tuple[str, ...] = ("scale", "latency", "burst")) -> list[Row]:
    from tests.watch.support import eventbridge

    rows: list[Row] = []
    with _environment() as b:
        b.send([eventbridge(e) for e in _events(200, seed=1)])  # warm: every cause diagnosed, collections cached
        b.drain(1)
        for n in (1, 2, 4) if "scale" in stages else ():
            events = per_process * n
            b.send([eventbridge(e) for e in _events(events, seed=n)])
            seconds, cpu, outs = b.drain(n)
            counted = sum(o["events"] for o in outs)
            rows.append(
                (
                    "watch",
                    f"{n} process{'es' if n > 1 else ''}, {events:,} EventBridge events (warm cache)",
                    f"{counted / seconds:,.0f} events/s wall ({counted / seconds / n:,.0f} per process); "
                    f"{cpu / counted * 1000:.1f} ms CPU per event (process start included)",
                )
            )
            _said(rows)
        if "latency" in stages:
            rows.append(_latency(b))
            _said(rows)
        if "burst" in stages:
            rows.append(_burst(b))
            _said(rows)
    return rows


def _said(rows: list[Row]) -> None:
    """Each figure on standard error as soon as it is measured (a long run under load loses nothing)."""
    if rows:
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)


def _latency(b: _Bench) -> Row:
    """A process long-polling; each sample a new cause (a role it has not seen), SendMessage -> chat.postMessage."""
    from bot.demo.emulator import client
    from tests.watch.support import eventbridge, record

    iam = client("iam")
    trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    (proc,) = b.processes(1)
    samples = []
    try:
        for i in range(8):
            role = f"late-{i}"
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Statement": [trust]}))
            before = len([c for c in b.fake.of("chat.postMessage") if not c.body.get("thread_ts")])
            start = time.monotonic()
            b.send([eventbridge(record(role=role, session="x"))])
            b.fake.wait_for("chat.postMessage", before + 1 + _replies(b), timeout=120)
            while len([c for c in b.fake.of("chat.postMessage") if not c.body.get("thread_ts")]) <= before:
                time.sleep(0.01)
            post = [c for c in b.fake.of("chat.postMessage") if not c.body.get("thread_ts")][-1]
            samples.append(post.at - start)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    samples.sort()
    return (
        "watch",
        "event in the queue -> its Slack post (new cause, collect + diagnose + post)",
        f"median {samples[len(samples) // 2]:.2f} s, worst {samples[-1]:.2f} s ({len(samples)} samples)",
    )


def _replies(b: _Bench) -> int:
    return len([c for c in b.fake.of("chat.postMessage") if c.body.get("thread_ts")])


def _burst(b: _Bench) -> Row:
    from tests.watch.support import log_file

    b.fake.calls.clear()
    events = _events(10_000, seed=99, roles="burst")  # 12 causes not seen before: each posted once
    b.send([log_file(*events[i : i + 100]) for i in range(0, len(events), 100)])  # a trail's log files
    seconds, _, outs = b.drain(2)
    posts = [c for c in b.fake.calls if c.method == "chat.postMessage" and not c.body.get("thread_ts")]
    replies = [c for c in b.fake.calls if c.method == "chat.postMessage" and c.body.get("thread_ts")]
    updates = b.fake.of("chat.update")
    counted = sum(o["events"] for o in outs)
    return (
        "watch",
        f"burst: {counted:,} events, {SESSIONS} sessions of {ROLES} roles, {ROLES} causes, 2 processes",
        f"{len(posts) + len(replies) + len(updates)} Slack calls: {len(posts)} posts, {len(replies)} thread "
        f"replies, {len(updates)} updates ({seconds:.0f} s)",
    )


if __name__ == "__main__":
    # python -m benchmarks.watch [EVENTS_PER_PROCESS [STAGE ...]]   (stages: scale latency burst)
    chosen = tuple(sys.argv[2:]) or ("scale", "latency", "burst")
    for row in bench_watch(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, chosen):
        print(" | ".join(row))
