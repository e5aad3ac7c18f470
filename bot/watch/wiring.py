"""What `s3why watch` plugs into its loop: the diagnosis (the collector, cached in Redis, through `bot.answer`),
the rendering as a normal s3why answer, and fixes offered for approval the way `s3why serve` offers them (the
Approve buttons are then handled by `s3why serve`, which shares the same Redis)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from bot.account.collector import Collector
from bot.account.view import account_view
from bot.approve.flow import Approvals, proposal_for
from bot.approve.grants import grant_refusal
from bot.config import Config
from bot.diagnose import DiagnoseOptions, Diagnosis
from bot.watch.record import WatchEvent


@dataclass
class Wiring:
    collector: Collector
    approvals: Approvals | None = None
    runs: Any = None  # bot.slack.app.Store: where `s3why serve` finds a run for the message's buttons

    @classmethod
    def from_config(cls, config: Config, *, redis_url: str, fast_redis: redis.Redis, namespace: str = "") -> Wiring:
        from bot.account.sessions import SessionProvider
        from bot.approve.signing import key_from_env
        from bot.approve.store import PatchStore
        from bot.approve.writer import Writer
        from bot.cache import RedisCache, key_root
        from bot.slack.app import Store
        from bot.slack.runner import LiveDiagnoser

        sessions = SessionProvider(config)
        collector = Collector(sessions, RedisCache.from_url(redis_url, config.cache_ttls, namespace=namespace))
        verifier = LiveDiagnoser(collector)
        # the proposals it records are approved in `s3why serve`, which checks their signature with the shared key: a
        # key of this process only would make every one of them "altered" there (a write role means approvals)
        writes = any(a.write_role_arn for a in config.accounts)
        patches = PatchStore(
            fast_redis,
            prefix=f"{key_root()}s3why:{namespace}",
            ttl_seconds=int(config.proposal_ttl_hours * 3600),
            key=key_from_env(required=writes),
        )
        approvals = Approvals(patches, Writer(sessions), config, verifier.verify, verifier.invalidate)
        return cls(collector, approvals, Store(fast_redis, prefix=f"{key_root()}s3why:slack:{namespace}"))

    def diagnose(self, event: WatchEvent, *, fixes: bool = False) -> tuple[Diagnosis, dict[str, str]]:
        """The event's request, diagnosed as a pasted CloudTrail record would be (its facts are stated context),
        with verified fixes when `fixes`; the bucket's tags for routing."""
        from bot.answer import answer, collect_for

        options = DiagnoseOptions(principal=event.request.principal_arn)
        data = collect_for(event.request, options, self.collector, account=event.account)
        return answer(event.request, options, data, fixes=fixes), bucket_tags(data)

    def render(self, d: Diagnosis, run_id: str, proposals: dict[int, str]) -> list[dict[str, Any]]:
        from bot.slack.blocks import diagnosis_blocks

        stored = {i: self.approvals.store.get(pid) for i, pid in proposals.items()} if self.approvals else {}
        # the approval summary names what each proposal writes (bot/slack/blocks.py approval_summary)
        return diagnosis_blocks(d, run_id, proposals={i: p for i, p in stored.items() if p is not None})

    def propose(self, d: Diagnosis, event: WatchEvent, channel: str, ts: str) -> tuple[dict[int, str], str]:
        """Each applicable fix recorded as a proposal in the message's thread; the run `s3why serve` re-runs."""
        run_id = uuid.uuid4().hex
        text = json.dumps(record_text(event))
        context = {k: list(v) for k, v in event.request.stated_context}
        if self.runs is not None:
            from bot.slack.app import Run

            run = Run(text, channel, ts, message_ts=ts, principal=event.request.principal_arn, context=context)
            run.account = event.account
            self.runs.put(f"run:{run_id}", run.stored())
        if self.approvals is None:
            return {}, run_id
        request = {
            "text": text,
            "index": 0,
            "principal": event.request.principal_arn,
            "principal_arn": d.request.get("principal_arn"),
            "context": context,
            "account": event.account,
            "facts": {},
        }
        out: dict[int, str] = {}
        for i, fix in enumerate(d.fixes[:5]):
            made = proposal_for(fix, requester=None, channel=channel, thread_ts=ts, run_id=run_id, request=request)
            if made is None or not self.approvals.writable(made) or self.approvals.access_refusal(made):
                continue
            if grant_refusal(made, self.approvals.config.known_accounts()):  # never to everyone, a root, outside
                continue
            out[i] = self.approvals.store.propose(made, actor=None).id
        return out, run_id

    def applied_at(self, proposal_id: str) -> str | None:
        if self.approvals is None:
            return None
        p = self.approvals.store.get(proposal_id)
        if p is None or p.state != "applied":
            return None
        return next((str(h["at"]) for h in reversed(p.history) if h.get("state") == "applied"), None)


def record_text(event: WatchEvent) -> dict[str, Any]:
    """The request as a CloudTrail record s3why's parser reads (for re-runs and approvals in `s3why serve`)."""
    r = event.request
    return {
        "eventSource": f"{r.service}.amazonaws.com",
        "eventName": r.operation,
        "errorCode": r.error_code,
        "awsRegion": r.region,
        "userIdentity": {"arn": r.principal_arn},
        "requestParameters": {"bucketName": r.bucket, **({"key": r.key} if r.key else {})},
        "eventID": event.event_id,
    }


def bucket_tags(data: dict[str, Any]) -> dict[str, str]:
    """The bucket's tags as collected (GetBucketTagging's TagSet); {} when unread or untagged."""
    view = account_view(data)
    if view.bucket is None:
        return {}
    fact = view.bucket.get("GetBucketTagging")
    tag_set = fact.value.get("TagSet", []) if fact.present and isinstance(fact.value, dict) else []
    return {str(t["Key"]): str(t["Value"]) for t in tag_set if isinstance(t, dict) and "Key" in t}
