"""`s3why watch` end to end: moto's SQS and S3 through boto3, real Redis, the fake Slack Web API."""

from __future__ import annotations

import itertools
import json
import signal
import threading
import time
from typing import Any

from bot.cache import key_root
from bot.config import WatchConfig, WatchRoute
from tests.account.conftest import client
from tests.watch.conftest import Env
from tests.watch.support import eventbridge, gzipped_log, log_file, record, s3_notification


def _summary(proc: object) -> dict[str, int]:
    out, err = proc.communicate(timeout=120)  # type: ignore[attr-defined]
    assert proc.returncode == 0, err  # type: ignore[attr-defined]
    return dict(json.loads(out))


LOG_KEY = (
    "AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/03/123456789012_CloudTrail_us-east-1_20261203T1005Z_a1B2.json.gz"
)
TRAILS = WatchConfig(
    default_channel="C0WATCH", visibility_timeout_seconds=10, update_seconds=1, trail_buckets=("lake-logs",)
)


def test_the_four_shapes_one_cause_one_post_and_its_thread(env: Env) -> None:
    client("s3").put_object(
        Bucket="lake-logs", Key=LOG_KEY,
        Body=gzipped_log(record(session="s4"), record(session="s5", key="raw/b.parquet")),
    )  # fmt: skip
    env.send(
        eventbridge(record(session="s1")),
        json.dumps(record(session="s2")),
        log_file(record(session="s3"), record(error_code=None)),  # a success in a log file: ignored
        s3_notification("lake-logs", LOG_KEY),
    )
    summary = env.watcher(TRAILS).run(once=True)
    assert summary.events == 5 and summary.posted == 1 and summary.groups == 1
    assert summary.reasons == {"not-a-denial": 1}
    (post,) = env.top_level_posts()
    text = json.dumps(post["blocks"])
    assert "identity" in text and "etl" in text  # a normal s3why answer: the layer that denied, the evidence
    tally = [c.body for c in env.fake.of("chat.postMessage") + env.fake.of("chat.update") if c.body.get("thread_ts")
             or c.body.get("ts")]  # fmt: skip
    assert any("5 events in all, 5 distinct sessions, 2 distinct objects" in json.dumps(b) for b in tally), tally
    assert env.in_queue() == 0


def test_two_causes_two_posts_and_the_statement_named(env: Env) -> None:
    env.send(*(json.dumps(record(role="reporter", session=f"r{i}")) for i in range(3)))
    env.send(*(json.dumps(record(session=f"e{i}")) for i in range(3)))
    summary = env.watcher().run(once=True)
    assert (summary.events, summary.groups, summary.posted) == (6, 2, 2)
    posts = {json.dumps(p["blocks"]) for p in env.top_level_posts()}
    assert any("DenyReporter" in p for p in posts)


def test_two_processes_on_one_queue_post_each_cause_once(env: Env) -> None:
    bodies = [json.dumps(record(role="reporter" if i % 2 else "etl", session=f"s{i}")) for i in range(40)]
    env.send(*bodies)
    a, b = env.process("--once", "--json"), env.process("--once", "--json")
    sa, sb = _summary(a), _summary(b)
    assert sa["events"] + sb["events"] == 40, (sa, sb)
    assert len(env.top_level_posts()) == 2
    assert sa["posted"] + sb["posted"] == 2
    totals = [env.store().totals(g) for g in env.store().dirty() or _groups(env)]
    assert sorted(t.count for t in totals) == [20, 20]
    assert env.in_queue() == 0


def _groups(env: Env) -> list[str]:
    prefix = f"{key_root()}s3why:watch:{env.ns}grp:"
    return [k.decode().removeprefix(prefix) for k in env.r.scan_iter(match=prefix + "*")]


def test_a_killed_process_leaves_its_message_to_the_other(env: Env) -> None:
    env.fake.hold["chat.postMessage"] = threading.Event()  # the first process stops inside its post
    env.send(json.dumps(record(session="only")))
    first = env.process()
    env.fake.wait_for("chat.postMessage", timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    env.fake.hold.pop("chat.postMessage").set()
    assert env.in_queue() == 1  # not deleted: it was not handled
    second = env.watcher()
    stop = threading.Event()
    runner = threading.Thread(target=lambda: second.run(once=False, stop=stop))
    second.wait_seconds = 1
    runner.start()
    deadline = time.monotonic() + 60
    while second.summary.posted == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    runner.join(timeout=30)
    assert second.summary.posted == 1 and second.summary.events == 1
    (group,) = _groups(env)
    assert env.store().totals(group).count == 1  # counted once, whoever counted it
    assert env.in_queue() == 0


def test_redelivery_is_never_counted_twice(env: Env) -> None:
    rec = record(session="again")
    env.send(json.dumps(rec), eventbridge(rec), log_file(rec))  # one event, delivered three ways
    summary = env.watcher().run(once=True)
    assert summary.events == 3 and summary.posted == 1
    (group,) = _groups(env)
    assert env.store().totals(group).count == 1


def test_malformed_and_foreign_messages_are_ignored_without_loss(env: Env) -> None:
    env.send("{not json", json.dumps({"detail-type": "EC2 Instance State-change Notification", "detail": {}}))
    env.send(json.dumps(record(source="ec2.amazonaws.com", event_name="RunInstances")))
    env.send(json.dumps(record(session="real")))
    summary = env.watcher().run(once=True)
    assert summary.events == 1 and summary.posted == 1
    assert summary.reasons == {"foreign-message": 2, "not-s3-or-kms": 1}
    assert env.in_queue() == 0


def test_slack_429_is_honoured_with_retry_after(env: Env) -> None:
    env.fake.throttle["chat.postMessage"] = 1
    env.fake.retry_after = 1
    env.send(json.dumps(record()))
    summary = env.watcher().run(once=True)
    assert summary.posted == 1
    refused = env.fake.of("429:chat.postMessage")[0]
    posted = env.fake.of("chat.postMessage")[0]
    assert posted.at - refused.at >= 0.95  # waited Retry-After before trying again


def test_at_most_one_post_per_second_per_channel(env: Env) -> None:
    env.send(*(json.dumps(record(role=r, session="s")) for r in ("etl", "reporter")))
    env.send(json.dumps(record(role="etl", bucket="pay", key="in/x")))
    env.watcher().run(once=True)
    times = sorted(c.at for c in env.fake.calls if c.method in ("chat.postMessage", "chat.update"))
    assert len(times) >= 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times)), times


def test_routes_by_account_then_bucket_tag_then_default(env: Env) -> None:
    routes = (WatchRoute("C0OTHER", account="999999999999"), WatchRoute("C0PAY", tag_key="team", tag_value="payments"))
    config = WatchConfig(default_channel="C0WATCH", routes=routes, visibility_timeout_seconds=10, update_seconds=1)
    env.send(json.dumps(record(bucket="pay", key="in/x")), json.dumps(record(bucket="lake")))
    env.watcher(config).run(once=True)
    assert sorted(p["channel"] for p in env.top_level_posts()) == ["C0PAY", "C0WATCH"]


def test_known_noise_is_counted_not_posted(env: Env) -> None:
    probe = record(event_name="GetBucketPolicy", sessionCredentialFromConsole="true")
    linked = record(role="AWSServiceRoleForReplication")
    linked["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = (
        "arn:aws:iam::123456789012:role/aws-service-role/replication.s3.amazonaws.com/AWSServiceRoleForReplication"
    )
    env.send(json.dumps(probe), json.dumps(linked))
    summary = env.watcher().run(once=True)
    assert (summary.events, summary.noise, summary.posted) == (2, 2, 0)
    assert env.fake.of("chat.postMessage") == []


def test_after_an_applied_fix_still_denied_then_quiet(env: Env) -> None:
    now = [time.time()]
    applied: dict[str, str | None] = {"p-1": None}
    w = env.watcher(applied_at=lambda pid: applied.get(pid), clock=lambda: now[0])
    env.send(json.dumps(record(session="before", event_time="2026-12-03T10:00:00Z")))
    w.run(once=True)
    (group,) = _groups(env)
    w.store.set_fields(group, proposals="p-1")
    w.store.r.sadd(w.store.k("fixwatch"), group)
    applied["p-1"] = "2026-12-03T11:00:00+00:00"
    env.send(json.dumps(record(session="after", event_time="2026-12-03T11:30:00Z")))
    w.run(once=True)
    replies = [c.body["text"] for c in env.fake.of("chat.postMessage") if c.body.get("thread_ts")]
    assert any(t.startswith("still denied after the fix") for t in replies), replies
    # a second group, fixed and then quiet for the configured time
    env.send(json.dumps(record(role="reporter", session="x", event_time="2026-12-03T10:00:00Z")))
    w.run(once=True)
    other = next(g for g in _groups(env) if g != group)
    w.store.set_fields(other, proposals="p-2")
    w.store.r.sadd(w.store.k("fixwatch"), other)
    applied["p-2"] = "2026-12-03T11:00:00+00:00"
    now[0] = time.mktime(time.strptime("2026-12-03T12:01:00", "%Y-%m-%dT%H:%M:%S")) - time.timezone
    w.flush(force=True)
    replies = [c.body["text"] for c in env.fake.of("chat.postMessage") if c.body.get("thread_ts")]
    assert any(t.startswith("no denials since the fix") for t in replies), replies


def test_the_daily_digest_is_posted_once_per_channel_per_day(env: Env) -> None:
    noon = 1_796_299_200.0  # 2026-12-03T12:00:00Z
    config = WatchConfig(default_channel="C0WATCH", visibility_timeout_seconds=10, update_seconds=1, digest_hour_utc=9)
    first, second = env.watcher(config, clock=lambda: noon), env.watcher(config, clock=lambda: noon)
    env.send(json.dumps(record(role="etl", session="a")), json.dumps(record(role="reporter", session="b")))
    first.run(once=True)  # posts both causes, then the day's digest
    assert second.digest() == 0  # another process: the day's digest is posted already
    (digest,) = [c.body for c in env.fake.of("chat.postMessage") if c.body["text"].startswith("s3why watch: 2 causes")]
    assert digest["channel"] == "C0WATCH"
    assert "etl" in json.dumps(digest["blocks"]) and "reporter" in json.dumps(digest["blocks"])
    early = WatchConfig(default_channel="C0WATCH", digest_hour_utc=13)
    assert env.watcher(early, clock=lambda: noon).digest() == 0  # before the hour


def test_a_digest_slack_does_not_take_is_posted_on_the_next_round_not_lost(env: Env) -> None:
    noon = 1_796_299_200.0  # 2026-12-03T12:00:00Z
    quiet = WatchConfig(default_channel="C0WATCH", visibility_timeout_seconds=10, update_seconds=1)
    env.send(json.dumps(record(role="etl", session="a")), json.dumps(record(role="reporter", session="b")))
    env.watcher(quiet, clock=lambda: noon).run(once=True)  # the causes posted; no digest configured
    daily = WatchConfig(default_channel="C0WATCH", visibility_timeout_seconds=10, update_seconds=1, digest_hour_utc=9)
    w = env.watcher(daily, clock=lambda: noon)
    env.fake.fail["chat.postMessage"] = [(200, {"ok": False, "error": "internal_error"}, {})]
    assert w.digest() == 0 and w.summary.failed == 1  # Slack refused it: not claimed as posted
    assert w.digest() == 1  # the next round posts it
    assert env.watcher(daily, clock=lambda: noon).digest() == 0  # and only once
    digests = [c.body for c in env.fake.of("chat.postMessage") if c.body["text"].startswith("s3why watch: 2 causes")]
    assert [d.get("_failed") for d in digests] == [200, None]  # refused once, then posted once
    assert digests[1]["channel"] == "C0WATCH" and "reporter" in json.dumps(digests[1]["blocks"])


def test_a_post_slack_finds_too_long_is_sent_shortened(env: Env) -> None:
    env.fake.fail["chat.postMessage"] = [(200, {"ok": False, "error": "msg_too_long"}, {})]
    env.send(json.dumps(record(session="s1")))
    summary = env.watcher().run(once=True)
    assert summary.posted == 1
    refused = env.fake.of("chat.postMessage")[0]
    assert refused.body.get("_failed") == 200 and not refused.body.get("thread_ts")
    (post,) = env.top_level_posts()[1:]  # the refused call is recorded too; then the shortened one
    said = json.dumps(post["blocks"])
    assert "shortened: Slack refused the full message, msg_too_long" in said and "etl" in said
    assert len(post["blocks"]) == 1 and len(post["blocks"][0]["text"]["text"]) <= 3000


def test_a_message_that_fails_is_left_for_redelivery_and_the_rest_go_on(env: Env) -> None:
    w = env.watcher()
    real = w.diagnose

    def flaky(event: Any, *, fixes: bool = False) -> Any:
        if event.caller.endswith("role/reporter"):
            raise ConnectionError("AWS unreachable")
        return real(event, fixes=fixes)

    w.diagnose = flaky
    env.send(json.dumps(record(role="reporter", session="r")), json.dumps(record(role="etl", session="e")))
    summary = w.run(once=True)
    assert (summary.failed, summary.posted) == (1, 1)
    assert env.in_queue() == 1  # the failed one waits for its next delivery
    w.diagnose = real
    time.sleep(10)  # the queue's visibility timeout
    assert w.run(once=True).posted == 2
    assert env.in_queue() == 0


def test_a_replayed_event_id_with_other_content_does_nothing(env: Env) -> None:
    env.send(json.dumps(record(event_id="EVT-1", session="s1")))
    first = env.watcher().run(once=True)
    env.send(json.dumps(record(event_id="EVT-1", role="reporter", session="s1")))  # same id, another cause
    second = env.watcher().run(once=True)
    assert (first.posted, second.posted, second.groups) == (1, 0, 0)
    assert len(env.top_level_posts()) == 1
    assert len(_groups(env)) == 1  # no empty group opened for the copy
    assert env.in_queue() == 0


def test_s3_notifications_read_only_trail_log_files_of_a_bounded_size(env: Env) -> None:
    s3 = client("s3")
    s3.put_object(Bucket="pay", Key="hr/payroll-2026.csv", Body=b"secret")
    s3.put_object(Bucket="lake-logs", Key="AWSLogs/123456789012/notes.json.gz", Body=gzipped_log(record()))
    s3.put_object(Bucket="lake-logs", Key=LOG_KEY, Body=b"x" * (16 * 1024 * 1024 + 1))
    read: list[str] = []

    def watcher(config: WatchConfig | None = None) -> Any:
        w = env.watcher(config)
        real = type(w.s3).get_object  # the client is shared: spy on the method, not on an earlier spy

        def spy(**kw: Any) -> Any:
            read.append(kw["Key"])
            return real(w.s3, **kw)

        w.s3.get_object = spy
        return w

    env.send(s3_notification("lake-logs", LOG_KEY))
    assert watcher().run(once=True).reasons == {"s3-notification-no-trail-buckets": 1}  # none configured
    env.send(
        s3_notification("pay", "hr/payroll-2026.csv"),
        s3_notification("lake-logs", "AWSLogs/123456789012/notes.json.gz"),
    )
    env.send(s3_notification("lake-logs", LOG_KEY))  # too large: its ContentLength is checked before reading
    summary = watcher(TRAILS).run(once=True)
    assert summary.reasons == {"not-a-trail-bucket": 1, "not-a-cloudtrail-log-key": 1, "unreadable-log-object": 1}
    assert read == [LOG_KEY] and summary.posted == 0
    assert env.in_queue() == 0


def test_slack_refusals_are_counted_and_the_watcher_goes_on(env: Env) -> None:
    # a refusal shortening cannot help (msg_too_long is sent again shortened: the test above)
    refused: tuple[int, dict[str, Any], dict[str, str]] = (200, {"ok": False, "error": "internal_error"}, {})
    w = env.watcher()
    env.send(json.dumps(record(session="s1")))
    env.fake.fail["chat.postMessage"] = [refused]  # the post fails: the message stays for redelivery
    summary = w.run(once=True)
    assert (summary.failed, summary.posted) == (1, 0) and env.in_queue() == 1
    time.sleep(10)  # the queue's visibility timeout
    assert w.run(once=True).posted == 1
    env.send(json.dumps(record(session="s2")))  # a repeat: shown in the thread, which Slack refuses
    env.fake.fail["chat.postMessage"] = [refused] * 5
    env.fake.fail["chat.update"] = [refused] * 5
    before = w.summary.failed
    summary = w.run(once=True)
    assert summary.failed > before  # the thread update failed: counted, and run returned
    assert env.in_queue() == 0
    (group,) = _groups(env)
    assert group in env.store().dirty()  # shown at a later flush
