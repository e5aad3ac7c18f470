"""The SQS loop of one `s3why watch` process: receive, handle every event, delete once handled.

Stateless: what processes share lives in Redis (`bot.watch.groups`). A received message stays hidden for the
queue's visibility timeout; while it is being handled a heartbeat extends it (ChangeMessageVisibility), and it
is deleted only once every event in it is counted (and its group posted, or claimed by another process). A
process that dies leaves its messages to reappear for another; an event counted before is never counted again.
SQS Developer Guide, "Amazon SQS visibility timeout" and "Amazon SQS short and long polling".
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.config import WatchConfig
from bot.diagnose import Diagnosis
from bot.watch import words
from bot.watch.groups import Cause, GroupStore
from bot.watch.messages import LogObject, read_log_file, unpack
from bot.watch.record import Ignored, WatchEvent, read_event
from bot.watch.slack_out import ChannelPoster

log = logging.getLogger("s3why.watch")

# (event) -> (its diagnosis, the bucket's tags for routing)
Diagnose = Callable[[WatchEvent], tuple[Diagnosis, dict[str, str]]]
# (diagnosis, event, channel, message ts) -> fix index -> proposal id (Approve buttons), run id for the buttons
Propose = Callable[[Diagnosis, WatchEvent, str, str], tuple[dict[int, str], str]]
# (diagnosis, run id, proposals) -> the blocks of a normal s3why answer
Render = Callable[[Diagnosis, str, dict[int, str]], list[dict[str, Any]]]
# proposal id -> when it was applied (ISO 8601 UTC), None while it is not
AppliedAt = Callable[[str], str | None]

SUMMARY_TTL_SECONDS = 120  # a shared diagnosis summary: the collector's bucket TTL


@dataclass
class Summary:
    events: int = 0
    diagnosed: int = 0
    groups: int = 0
    posted: int = 0
    updated: int = 0
    ignored: int = 0
    noise: int = 0
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
    ) -> None:
        self.sqs, self.s3, self.queue_url = sqs, s3, queue_url
        self.store, self.poster, self.config = store, poster, config
        self.diagnose, self.render, self.propose, self.applied_at = diagnose, render, propose, applied_at
        self.clock = clock
        self.wait_seconds = wait_seconds
        self.worker_id = uuid.uuid4().hex[:12]
        self.summary = Summary()
        self._memo: dict[str, tuple[float, Diagnosis, dict[str, str]]] = {}
        self._lock = threading.Lock()

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self, *, once: bool, stop: threading.Event | None = None) -> Summary:
        """Poll until `stop` is set (or, with `once`, until a receive finds the queue empty)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            got = self.poll(wait_seconds=1 if once else self.wait_seconds)
            self.flush(force=False)
            if once and got == 0:
                break
        self.flush(force=True)
        return self.summary

    def poll(self, *, wait_seconds: int) -> int:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.config.visibility_timeout_seconds,
        )
        messages = answer.get("Messages", [])
        for m in messages:
            with self._heartbeat(m["ReceiptHandle"]):
                handled = self.handle_body(m.get("Body", ""))
            if handled:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def _heartbeat(self, receipt: str) -> _Heartbeat:
        return _Heartbeat(self.sqs, self.queue_url, receipt, self.config.visibility_timeout_seconds)

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
            try:
                records.extend(self._log_records(obj))
            except (ClientError, BotoCoreError) as exc:
                log.warning("cannot read the CloudTrail log object s3://%s/%s: %s", obj.bucket, obj.key, exc)
                return False  # a transient read failure: let SQS deliver it again
            except ValueError as exc:
                self.summary.ignore("unreadable-log-object")
                log.warning("s3://%s/%s: %s", obj.bucket, obj.key, exc)
        for record in records:
            self.handle_record(record)
        return True

    def _log_records(self, obj: LogObject) -> tuple[Any, ...]:
        raw = self.s3.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
        return read_log_file(raw)

    def handle_record(self, record: Any) -> None:
        event = read_event(record)
        if isinstance(event, Ignored):
            self.summary.ignore(event.reason)
            return
        self.summary.events += 1
        if event.noise is not None:
            self.summary.noise += 1
            self.store.r.hincrby(self.store.k("noise"), event.noise, 1)
            return
        d, tags = self._diagnosis(event)
        cause = cause_of(event, d)
        group = self.store.group_for(cause)
        self.store.count(
            group, event_id=event.event_id, event_time=event.event_time, session=event.session, obj=event.object_arn
        )
        fields = self.store.fields(group)
        if "ts" not in fields:
            self._post(group, cause, event, d, tags)
        elif fields.get("fix_applied_at") and event.event_time > fields["fix_applied_at"]:
            self._after_fix(group, fields, denied_at=event.event_time)

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
    def _post(self, group: str, cause: Cause, event: WatchEvent, d: Diagnosis, tags: dict[str, str]) -> None:
        channel = self.config.channel_for(event.account, tags)
        if channel is None:
            self.summary.ignore("no-channel")
            return
        claim_ms = self.config.visibility_timeout_seconds * 1000
        if not self.store.claim("post", group, self.worker_id, claim_ms):
            return  # another process posts it; this event is counted in its totals
        try:
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

    def flush(self, *, force: bool) -> None:
        """Bring each group's thread up to date: its totals (at most one update per `update_seconds` per group,
        or now with `force`), and what became of an applied fix."""
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
            text, blocks = words.tally(totals)
            channel, ts = fields["channel"], fields["ts"]
            if fields.get("tally_ts"):
                self.poster.update(channel, fields["tally_ts"], text, blocks)
            else:
                self.store.set_fields(group, tally_ts=self.poster.post(channel, text, blocks, thread_ts=ts))
            self.store.set_fields(group, shown=totals.count)
            self.summary.updated += 1
        self._fix_follow_ups()

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
    import datetime as dt

    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class _Heartbeat:
    """Keeps one message hidden while it is handled: every half visibility timeout, hide it for another."""

    def __init__(self, sqs: Any, queue_url: str, receipt: str, timeout: int) -> None:
        self.sqs, self.queue_url, self.receipt, self.timeout = sqs, queue_url, receipt, timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.timeout / 2):
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=self.receipt, VisibilityTimeout=self.timeout
                )
            except (ClientError, BotoCoreError) as exc:
                log.warning("could not extend a message's visibility: %s", type(exc).__name__)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
