"""The SQS loop of one `s3why watch` process: receive, handle every event, delete once handled.

Stateless: what processes share lives in Redis (`bot.watch.groups`). A received message stays hidden for the
queue's visibility timeout; while it is being handled a heartbeat extends it (ChangeMessageVisibility), and it
is deleted only once every event in it is counted (and its group posted, or claimed by another process). A
process that dies leaves its messages to reappear for another; an event counted before is never counted again.
SQS Developer Guide, "Amazon SQS visibility timeout" and "Amazon SQS short and long polling".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from bot.arn import Arn
from bot.bounded import LruDict
from bot.config import WatchConfig
from bot.diagnose import Diagnosis
from bot.watch import words
from bot.watch.groups import Cause, GroupStore, Totals
from bot.watch.messages import MAX_LOG_OBJECT_BYTES, LogObject, is_cloudtrail_log_key, read_log_stream, unpack
from bot.watch.record import Ignored, WatchEvent, read_event
from bot.watch.slack_out import ChannelPoster

log = logging.getLogger("s3why.watch")


class Diagnose(Protocol):
    """(event) -> (its diagnosis, the bucket's tags for routing); with `fixes`, the verified fixes too (only what
    is posted needs them: verifying a fix re-evaluates the request on the patched account)."""

    def __call__(self, event: WatchEvent, *, fixes: bool = False) -> tuple[Diagnosis, dict[str, str]]: ...


# (diagnosis, event, channel, message ts) -> fix index -> proposal id (Approve buttons), run id for the buttons
Propose = Callable[[Diagnosis, WatchEvent, str, str], tuple[dict[int, str], str]]
# (diagnosis, run id, proposals) -> the blocks of a normal s3why answer
Render = Callable[[Diagnosis, str, dict[int, str]], list[dict[str, Any]]]
# proposal id -> when it was applied (ISO 8601 UTC), None while it is not
AppliedAt = Callable[[str], str | None]

SUMMARY_TTL_SECONDS = 120  # how long a process reuses a diagnosis: the collector's bucket TTL
DIGEST_ROUND_MS = 10 * 60 * 1000  # the most one process takes to post a day's digests
DIGEST_KEEP_MS = 2 * 24 * 3600 * 1000  # how long "posted today" is remembered
MEMO_SIZE = 4096  # diagnoses kept by one process (least recently used dropped)
FLUSH_SECONDS = 1.0  # how often a process looks for threads to update (each group: at most every update_seconds)
POSTER_WAIT_SECONDS = 3.0  # how long an event waits for another process to post its group
# Whoever is denied chooses the key, the action and (in their own account) the role: every distinct request could be
# a group, a post and a diagnosis. In one group window a caller opens at most this many distinct requests (operation,
# bucket, key prefix) on a bucket; anonymous requests share one budget ("anonymous" is one caller); callers of an
# account that is neither the trail's nor configured share NEW_SHAPES_PER_ACCOUNT on a bucket. Beyond: counted as
# noise ("flood"), never diagnosed or posted.
NEW_SHAPES_PER_SOURCE = 10
NEW_SHAPES_PER_ACCOUNT = 30


@dataclass
class Summary:
    events: int = 0
    diagnosed: int = 0
    groups: int = 0
    posted: int = 0
    updated: int = 0
    ignored: int = 0
    noise: int = 0
    failed: int = 0  # messages left in the queue after an error (delivered again)
    reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "diagnosed": self.diagnosed,
            "groups": self.groups,
            "posted": self.posted,
            "updated": self.updated,
            "ignored": self.ignored,
            "noise": self.noise,
            "failed": self.failed,
            "ignored_by_reason": dict(sorted(self.reasons.items())),
        }

    def ignore(self, reason: str) -> None:
        self.ignored += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def workload_prefix(key: str | None) -> str:
    """The prefix a workload writes under: the key's first path segment (`raw/2026/12/03/x` -> `raw/`)."""
    if not key or "/" not in key.strip("/"):
        return ""
    return key.lstrip("/").split("/", 1)[0] + "/"


def cause_of(event: WatchEvent, d: Diagnosis) -> Cause:
    r = event.request
    top = d.root_causes[0] if d.root_causes else None
    statement = ""
    if top is not None:
        e = top.evidence
        statement = str(e.get("sid") or e.get("policy") or e.get("setting") or top.kind)
    return Cause(
        caller=event.caller,
        action=r.action or r.operation or "",
        bucket=r.bucket or "",
        prefix=workload_prefix(r.key),
        layer=top.layer.value if top is not None else d.decision,
        statement=statement,
        account=event.account or "",
    )


class Watcher:
    def __init__(
        self,
        *,
        sqs: Any,
        s3: Any,
        queue_url: str,
        store: GroupStore,
        poster: ChannelPoster,
        config: WatchConfig,
        diagnose: Diagnose,
        render: Render,
        propose: Propose | None = None,
        applied_at: AppliedAt | None = None,
        clock: Callable[[], float] = time.time,
        wait_seconds: int = 20,
        known_accounts: frozenset[str] = frozenset(),
    ) -> None:
        """`known_accounts`: the configured accounts and the organization's listed members (their callers are
        budgeted per caller only; any other account's callers also share one budget per bucket)."""
        self.sqs, self.s3, self.queue_url = sqs, s3, queue_url
        self.store, self.poster, self.config = store, poster, config
        self.diagnose, self.render, self.propose, self.applied_at = diagnose, render, propose, applied_at
        self.clock = clock
        self.wait_seconds = wait_seconds
        self.known_accounts = known_accounts
        self.worker_id = uuid.uuid4().hex[:12]
        self.summary = Summary()
        self._memo: LruDict[str, tuple[float, Diagnosis, dict[str, str]]] = LruDict(MEMO_SIZE)
        self._lock = threading.Lock()
        self._next_flush = 0.0

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self, *, once: bool, stop: threading.Event | None = None) -> Summary:
        """Poll until `stop` is set (or, with `once`, until a receive finds the queue empty)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            got = self.poll(wait_seconds=1 if once else self.wait_seconds)
            self._guarded(lambda: self.flush(force=False), "update the threads")
            self._guarded(self.digest, "post the daily digest")
            if once and got == 0:
                break
        self._guarded(self._last_flush, "update the threads")
        return self.summary

    def _last_flush(self) -> None:
        self.flush(force=True)
        for _ in range(3):  # a thread another process was writing to at that moment: once it is done
            if not any("ts" in self.store.fields(g) for g in self.store.dirty()):
                break
            time.sleep(1)
            self.flush(force=True)

    def _guarded(self, step: Callable[[], object], what: str) -> None:
        """A thread update or digest that fails (Slack refused it, Redis could not be reached) is counted and
        logged in one line, and the loop goes on: what was not shown stays dirty and is tried again."""
        try:
            step()
        except Exception as exc:
            self.summary.failed += 1
            log.warning("could not %s (%s); it will be tried again", what, type(exc).__name__)

    def poll(self, *, wait_seconds: int) -> int:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.config.visibility_timeout_seconds,
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        done: list[dict[str, str]] = []
        with _Heartbeat(self.sqs, self.queue_url, messages, self.config.visibility_timeout_seconds):
            for i, m in enumerate(messages):
                if self._handled(m.get("Body", "")):
                    done.append({"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]})
        if done:  # deleted only once handled; what was not is delivered again after the visibility timeout
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
        return len(messages)

    def _handled(self, body: str) -> bool:
        """A message that fails (AWS or Slack could not be reached, an unexpected error) is left in the queue: SQS
        delivers it again, and after the queue's maxReceiveCount moves it to the dead-letter queue. One line in
        the log, never the message (it may name buckets and keys) or a traceback."""
        try:
            return self.handle_body(body)
        except Exception as exc:
            self.summary.failed += 1
            log.warning("a queue message could not be handled (%s); it will be delivered again", type(exc).__name__)
            return False

    # --- one message ------------------------------------------------------------------------------------------
    def handle_body(self, body: str) -> bool:
        """Handle every event a message carries; False leaves the message to be delivered again."""
        found = unpack(body)
        if found.foreign is not None:
            self.summary.ignore("foreign-message")
            log.info("ignored a queue message: %s", found.foreign)
            return True  # it will never be one: delete it, counted
        records = list(found.records)
        for obj in found.log_objects:
            refused = self._not_a_trail_log(obj)
            if refused is not None:
                self.summary.ignore(refused)
                continue
            try:
                records.extend(self._log_records(obj))
            except (ClientError, BotoCoreError) as exc:
                log.warning("cannot read the CloudTrail log object s3://%s/%s: %s", obj.bucket, obj.key, exc)
                return False  # a transient read failure: let SQS deliver it again
            except ValueError as exc:
                self.summary.ignore("unreadable-log-object")
                log.warning("s3://%s/%s: %s", obj.bucket, obj.key, exc)
        handled = [self.handle_record(record) for record in records]
        return all(handled)

    def _not_a_trail_log(self, obj: LogObject) -> str | None:
        """Why an announced object is not read: anyone who can send to the queue can name any object, and watch
        reads with its own credentials; only log files in a configured trail bucket are read."""
        if not self.config.trail_buckets:
            return "s3-notification-no-trail-buckets"
        if obj.bucket not in self.config.trail_buckets:
            return "not-a-trail-bucket"
        if not is_cloudtrail_log_key(obj.key):
            return "not-a-cloudtrail-log-key"
        return None

    def _log_records(self, obj: LogObject) -> tuple[Any, ...]:
        answer = self.s3.get_object(Bucket=obj.bucket, Key=obj.key)
        body = answer["Body"]
        try:
            size = answer.get("ContentLength")
            if not isinstance(size, int) or size > MAX_LOG_OBJECT_BYTES:
                raise ValueError(f"log object of {size} bytes: larger than {MAX_LOG_OBJECT_BYTES} (not read)")
            return read_log_stream(body)
        finally:
            body.close()

    def handle_record(self, record: Any) -> bool:
        """Count one record's event in its group and see the group posted; False when its group is still
        unposted and another process holds the claim to post it (the message is then left for redelivery: if
        that process died, the next delivery posts it; the count is never repeated)."""
        event = read_event(record)
        if isinstance(event, Ignored):
            self.summary.ignore(event.reason)
            return True
        self.summary.events += 1
        if event.noise is not None:
            self.summary.noise += 1
            self.store.r.hincrby(self.store.k("noise"), event.noise, 1)
            return True
        if not self._admitted(event):
            self.summary.noise += 1
            self.store.r.hincrby(self.store.k("noise"), "flood", 1)
            return True
        d, tags = self._diagnosis(event)
        cause = cause_of(event, d)
        counted = self.store.count(
            cause, event_id=event.event_id, event_time=event.event_time, session=event.session, obj=event.object_arn
        )
        if not counted.new and not self._unposted_original(counted.group, cause):
            return True  # a replayed eventID: counted before, nothing to do (whatever the copy now says)
        if not counted.ts:
            return self._post(counted.group, cause, event, d, tags)
        if counted.new and counted.fix_applied_at and event.event_time > counted.fix_applied_at:
            self._after_fix(counted.group, self.store.fields(counted.group), denied_at=event.event_time)
        return True

    def _unposted_original(self, group: str, cause: Cause) -> bool:
        """A redelivery of an event counted in `group` whose poster died before posting: the group is this very
        cause, holds events and has no message yet (the redelivery posts it)."""
        fields = self.store.fields(group)
        if "ts" in fields or int(fields.get("count") or 0) < 1:
            return False
        return bool(fields.get("cause")) and json.loads(fields["cause"]) == cause.to_json()

    def _admitted(self, event: WatchEvent) -> bool:
        """Whether this request may open a group (bounded flood, NEW_SHAPES_PER_SOURCE): its shape ignores what
        varies between the events of one workload (sessions, addresses, objects under one prefix)."""
        r = event.request
        bucket = r.bucket or ""
        shape = json.dumps([event.caller, r.operation, bucket, workload_prefix(r.key)])
        budgets = {f"caller\0{event.caller}\0{bucket}": NEW_SHAPES_PER_SOURCE}
        parsed = Arn.parse(event.caller)
        account = parsed.account if parsed is not None else None
        if account and account != event.account and account not in self.known_accounts:
            budgets[f"account\0{account}\0{bucket}"] = NEW_SHAPES_PER_ACCOUNT
        return self.store.admit(shape, budgets)

    # --- diagnosis, once per request shape --------------------------------------------------------------------
    def _request_key(self, event: WatchEvent) -> str:
        r = event.request
        shape = [event.caller, event.account, r.operation, r.bucket, workload_prefix(r.key), list(r.stated_context)]
        return hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:32]

    def _diagnosis(self, event: WatchEvent) -> tuple[Diagnosis, dict[str, str]]:
        key = self._request_key(event)
        now = self.clock()
        with self._lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        d, tags = self.diagnose(event)
        self.summary.diagnosed += 1
        with self._lock:
            self._memo[key] = (now + SUMMARY_TTL_SECONDS, d, tags)
        return d, tags

    # --- Slack ------------------------------------------------------------------------------------------------
    def _post(self, group: str, cause: Cause, event: WatchEvent, d: Diagnosis, tags: dict[str, str]) -> bool:
        channel = self.config.channel_for(event.account, tags)
        if channel is None:
            self.summary.ignore("no-channel")
            return True
        claim_ms = self.config.visibility_timeout_seconds * 1000
        deadline = time.monotonic() + POSTER_WAIT_SECONDS
        while not self.store.claim("post", group, self.worker_id, claim_ms):
            if "ts" in self.store.fields(group):
                return True  # another process posted it; this event is counted in its totals
            if time.monotonic() >= deadline:
                return False  # still being posted (or its poster died): leave the message for redelivery
            time.sleep(0.1)
        try:
            d, _ = self.diagnose(event, fixes=True)
            totals = self.store.totals(group)
            header = words.group_header(cause, totals)
            run_id = uuid.uuid4().hex
            if self.propose is None:
                ts = self.poster.post(channel, words.seen_line(cause, totals), [header, *self.render(d, run_id, {})])
            else:
                ts = self.poster.post(channel, words.seen_line(cause, totals), [header])
                proposals, run_id = self.propose(d, event, channel, ts)
                blocks = [header, *self.render(d, run_id, proposals)]
                self.poster.update(channel, ts, words.seen_line(cause, totals), blocks)
                if proposals:
                    self.store.set_fields(group, proposals=",".join(proposals.values()))
                    self.store.r.sadd(self.store.k("fixwatch"), group)
        except Exception:
            self.store.release("post", group)  # another delivery (or process) tries again
            raise
        self.store.set_fields(group, ts=ts, channel=channel, shown=totals.count, posted_at=int(self.clock()))
        self.store.r.zadd(self.store.k("posted"), {group: self.clock()})
        self.summary.posted += 1
        self.summary.groups += 1
        return True

    def flush(self, *, force: bool) -> None:
        """Bring each group's thread up to date: its totals (at most one update per `update_seconds` per group,
        or now with `force`), and what became of an applied fix."""
        if not force and time.monotonic() < self._next_flush:
            return
        self._next_flush = time.monotonic() + FLUSH_SECONDS
        for group in self.store.dirty():
            fields = self.store.fields(group)
            if "ts" not in fields:
                continue  # not posted yet: whoever posts it shows the totals
            if not force and not self.store.claim("upd", group, self.worker_id, self.config.update_seconds * 1000):
                continue
            self.store.clean(group)
            totals = self.store.totals(group)
            if totals.count <= int(fields.get("shown") or 0):
                continue
            try:
                shown = self._show(group, fields, words.tally(totals), wait=force)
            except Exception:
                self.store.mark_dirty(group)  # Slack refused it: tried again next time
                self.store.release("upd", group)
                raise
            if not shown:
                self.store.mark_dirty(group)  # the channel's slot was taken: next time
                self.store.release("upd", group)
                continue
            self.store.set_fields(group, shown=totals.count)
            self.summary.updated += 1
        self._fix_follow_ups()

    def _show(self, group: str, fields: dict[str, str], said: tuple[str, list[dict[str, Any]]], *, wait: bool) -> bool:
        """The group's totals in its thread: one reply, edited from then on. False when the channel's slot was
        taken and `wait` is off (the loop must not stall on Slack's pace)."""
        text, blocks = said
        channel, ts, tally = fields["channel"], fields["ts"], fields.get("tally_ts")
        if tally:
            if wait:
                self.poster.update(channel, tally, text, blocks)
                return True
            return self.poster.try_update(channel, tally, text, blocks)
        # One tally reply per group, whichever process comes first (two flushing at once must not both post it).
        if not self.store.claim("tally", group, self.worker_id, self.config.visibility_timeout_seconds * 1000):
            return False
        made = (
            self.poster.post(channel, text, blocks, thread_ts=ts)
            if wait
            else self.poster.try_post(channel, text, blocks, thread_ts=ts)
        )
        if made is None:
            self.store.release("tally", group)
            return False
        self.store.set_fields(group, tally_ts=made)
        return True

    # --- the daily digest -------------------------------------------------------------------------------------
    def digest(self) -> int:
        """Once a day, at `digest_hour_utc`, each channel gets the causes posted there in the last 24 hours (one
        process posts it: a claim per day and channel in Redis). A digest Slack did not take is not lost: its
        claim is given back and the next round posts it. Returns the digests posted."""
        hour = self.config.digest_hour_utc
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        if hour is None or now.hour < hour:
            return 0
        day = now.date().isoformat()
        if self.store.r.exists(self.store.k("digestdone", day)):
            return 0
        if not self.store.claim("digest", day, self.worker_id, DIGEST_ROUND_MS):  # one process at a time
            return 0
        try:
            return self._digest_round(day)
        finally:
            self.store.release("digest", day)

    def _digest_round(self, day: str) -> int:
        since = self.clock() - 24 * 3600
        by_channel: dict[str, list[tuple[Cause, Totals]]] = {}
        for raw in self.store.r.zrangebyscore(self.store.k("posted"), since, "+inf"):
            group = raw.decode() if isinstance(raw, bytes) else str(raw)
            fields = self.store.fields(group)
            if "channel" not in fields or "cause" not in fields:
                continue
            cause = Cause(**json.loads(fields["cause"]))
            by_channel.setdefault(fields["channel"], []).append((cause, self.store.totals(group)))
        posted, failed = 0, 0
        for channel, rows in sorted(by_channel.items()):
            if not self.store.claim("digestch", f"{day}:{channel}", self.worker_id, DIGEST_KEEP_MS):
                continue  # posted already today
            text, blocks = words.digest(sorted(rows, key=lambda r: -r[1].count))
            try:
                self.poster.post(channel, text, blocks)
            except Exception as exc:  # Slack or Redis: given back, tried again next round
                self.store.release("digestch", f"{day}:{channel}")
                self.summary.failed += 1
                failed += 1
                log.warning("digest for %s not posted (%s); it will be tried again", channel, type(exc).__name__)
                continue
            posted += 1
        if not failed:
            self.store.claim("digestdone", day, self.worker_id, DIGEST_KEEP_MS)
        return posted

    # --- after an approved fix --------------------------------------------------------------------------------
    def _fix_follow_ups(self) -> None:
        if self.applied_at is None:
            return
        for raw in self.store.r.smembers(self.store.k("fixwatch")):
            group = raw.decode() if isinstance(raw, bytes) else str(raw)
            fields = self.store.fields(group)
            applied = fields.get("fix_applied_at") or next(
                (a for p in fields.get("proposals", "").split(",") if p and (a := self.applied_at(p))), None
            )
            if applied is None:
                continue
            if not fields.get("fix_applied_at"):
                self.store.set_fields(group, fix_applied_at=applied)
                fields["fix_applied_at"] = applied
            last = fields.get("last", "")
            if last > applied:
                self._after_fix(group, fields, denied_at=last)
                continue
            quiet = self.config.fix_quiet_minutes * 60
            if self.clock() - _epoch(applied) >= quiet and self.store.claim("fixok", group, self.worker_id, 10**10):
                text, blocks = words.quiet_since(applied, self.config.fix_quiet_minutes)
                self.poster.post(fields["channel"], text, blocks, thread_ts=fields["ts"])
                self.store.r.srem(self.store.k("fixwatch"), group)

    def _after_fix(self, group: str, fields: dict[str, str], *, denied_at: str) -> None:
        if not self.store.claim("fixbad", group, self.worker_id, 10**10):
            return  # said once
        text, blocks = words.still_denied(fields["fix_applied_at"], denied_at)
        self.poster.post(fields["channel"], text, blocks, thread_ts=fields["ts"])
        self.store.r.srem(self.store.k("fixwatch"), group)


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class _Heartbeat:
    """Keeps a received batch hidden while it is handled: every half visibility timeout, hides it for another
    (ChangeMessageVisibilityBatch). One thread per batch, not per message."""

    def __init__(self, sqs: Any, queue_url: str, messages: list[dict[str, Any]], timeout: int) -> None:
        self.sqs, self.queue_url, self.timeout = sqs, queue_url, timeout
        self.entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": timeout}
            for i, m in enumerate(messages)
        ]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.timeout / 2):
            try:
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=self.entries)
            except (ClientError, BotoCoreError) as exc:
                log.warning("could not extend the batch's visibility: %s", type(exc).__name__)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
