"""The Slack app (slack-bolt): pasted errors, @mentions, `/s3why`, the message shortcut, and the buttons.

Listeners are thin: they ack at once (Slack's 3-second limit never waits for AWS), then a lazy listener posts
"Looking at N layers…" in the thread, runs the diagnosis, and updates that message in place. Slack's retries and
the same event reaching two replicas give one reply (event ids are claimed in Redis with SET NX). Secrets people
paste are never repeated: only the redacted text is echoed, stored or logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import redis
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.approve.flow import Approvals, Outcome, proposal_for
from bot.approve.grants import grant_refusal
from bot.approve.store import Proposal
from bot.arn import Arn
from bot.cache import key_root
from bot.config import Config
from bot.diagnose import Diagnosis
from bot.diagnose.render import diagnosis_text
from bot.errors import UsageError
from bot.escape import mrkdwn
from bot.fixes import diagnosis_with_scope
from bot.fixes.scope import BUCKET, EXACT, OBJECT, PREFIX
from bot.iac.approve import approve_pull_request, change_digest
from bot.layers import LayerId
from bot.logs import safe_logger
from bot.metrics import METRICS
from bot.parse import ParseResult, ParseWarning, parse_text
from bot.parse.lookalikes import ACCESS_DENIED_CODES, LOOKALIKES
from bot.s3ops import S3_OPERATIONS
from bot.slack.blocks import (
    FORMATS,
    diagnosis_blocks,
    help_text,
    outcome_blocks,
    progress_blocks,
    verdict_line,
    without_key_owner,
)
from bot.slack.can import Asker, answer_question, is_can, read_question
from bot.slack.fair import FairExecutor, ask_as
from bot.slack.replies import reply_facts
from bot.startup import failure_reason

log = logging.getLogger("s3why.slack")
RUN_TTL = 24 * 3600
_MENTION = re.compile(r"<@[A-Z0-9]+>")
_IGNORED_SUBTYPES = frozenset(
    {
        "bot_message",
        "message_changed",
        "message_deleted",
        "channel_join",
        "channel_leave",
        "message_replied",
        "thread_broadcast",
        "pinned_item",
        "channel_topic",
        "channel_purpose",
    }
)


class Diagnoser(Protocol):
    def __call__(
        self,
        text: str,
        *,
        principal: str | None,
        context: dict[str, tuple[str, ...]],
        fresh: bool,
        account: str | None = None,
        facts: dict[str, str] | None = None,
        signer_keys: list[str | None] | None = None,
    ) -> tuple[ParseResult, list[Diagnosis]]: ...


class Store:
    """Shared state for every replica: Redis when given, else process memory (one replica only)."""

    DOWN_SECONDS = 15.0  # after a failure, Redis is left alone this long so no Slack request waits on it

    MAX_MEMORY_ENTRIES = 10_000  # the in-process fallback never grows past this

    def __init__(self, client: redis.Redis | None = None, prefix: str | None = None) -> None:
        self.client = client
        self.prefix = prefix if prefix is not None else key_root() + "s3why:slack:"
        self._mem: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0

    def _redis(self) -> redis.Redis | None:
        return self.client if self.client is not None and time.monotonic() >= self._down_until else None

    def _failed(self, what: str) -> None:
        self._down_until = time.monotonic() + self.DOWN_SECONDS
        log.warning("redis unavailable: %s in this process only (retrying in %.0f s)", what, self.DOWN_SECONDS)

    def claim(self, key: str, ttl: int = 3600) -> bool:
        """True for the first caller only (SET NX EX): de-duplicates Slack's retries across replicas."""
        client = self._redis()
        if client is not None:
            try:
                return bool(client.set(self.prefix + key, "1", nx=True, ex=ttl))
            except redis.RedisError:
                self._failed("de-duplicating")
        with self._lock:
            now = time.monotonic()
            if key in self._mem and self._mem[key][0] > now:
                return False
            self._remember(key, (now + ttl, "1"))
            return True

    def count(self, key: str, window: int) -> int:
        """How many times `key` was counted in its current window of `window` seconds, this call included
        (Redis INCR, shared by every replica; process memory while Redis is down)."""
        client = self._redis()
        if client is not None:
            try:
                with client.pipeline() as pipe:
                    pipe.incr(self.prefix + key)
                    pipe.expire(self.prefix + key, window, nx=True)
                    return int(pipe.execute()[0])
            except redis.RedisError:
                self._failed("counting")
        with self._lock:
            now = time.monotonic()
            until, seen = self._mem.get(key, (0.0, "0"))
            n = int(seen) + 1 if until > now else 1
            self._remember(key, (until if until > now else now + window, str(n)))
            return n

    def _remember(self, key: str, entry: tuple[float, str]) -> None:
        """Keep an entry in process memory, bounded: past MAX_MEMORY_ENTRIES the expired go, then the oldest."""
        self._mem[key] = entry
        if len(self._mem) > self.MAX_MEMORY_ENTRIES:
            now = time.monotonic()
            for k in [k for k, (until, _) in self._mem.items() if until <= now]:
                del self._mem[k]
            while len(self._mem) > self.MAX_MEMORY_ENTRIES:
                del self._mem[next(iter(self._mem))]

    def put(self, key: str, value: dict[str, Any], ttl: int = RUN_TTL) -> None:
        data = json.dumps(value)
        client = self._redis()
        if client is not None:
            try:
                client.set(self.prefix + key, data, ex=ttl)
                return
            except redis.RedisError:
                self._failed(f"keeping {key.split(':')[0]}s")
        with self._lock:
            self._remember(key, (time.monotonic() + ttl, data))

    def get(self, key: str) -> dict[str, Any] | None:
        client = self._redis()
        if client is not None:
            try:
                raw = client.get(self.prefix + key)
                if raw is not None:
                    value: dict[str, Any] = json.loads(raw)
                    return value
            except redis.RedisError:
                self._failed("reading")
        with self._lock:
            entry = self._mem.get(key)
        return json.loads(entry[1]) if entry and entry[0] > time.monotonic() else None


_SCOPES = frozenset({OBJECT, PREFIX, BUCKET, EXACT})  # bot/fixes/scope.py: the reaches a scope select offers
_APPROVERS_ONLY = (
    "The full report shows every policy document s3why read: it is for this account's approvers only. "
    "Run `s3why diagnose` with your own AWS access to see it."
)
_ELSEWHERE = "Nothing done: this button does not belong to this thread (use the one where the fix was proposed)."
_NOT_YOURS = (
    "Nothing changed: only the person who asked, or an approver, can change the {what} of this diagnosis. "
    "Paste the error yourself to get your own answer."
)
_OWN_FIX = "Nothing done: a person who asked cannot approve the fix (two-person rule): ask another approver."
_OFF = "s3why is turned off in this channel (mode: off): ask in another channel."
_PR_APPROVERS = "Nothing done: only the approvers of the accounts this answer involves can ask for its pull request."
_PR_CHANGED = (
    "Nothing opened: the change s3why computes now is not the one this button was shown with. Use *Re-run fresh* "
    "and approve the new answer."
)


def _message_text(event: dict[str, Any]) -> str:
    """The message's text, plus the preview of any snippet or text file shared with it (what Slack sends)."""
    previews = [
        str(f.get("preview") or f.get("plain_text") or "")
        for f in event.get("files") or []
        if isinstance(f, dict) and (f.get("mode") == "snippet" or str(f.get("mimetype", "")).startswith("text/"))
    ]
    return "\n".join([event.get("text") or "", *[p for p in previews if p]])


def _mrkdwn(text: str) -> dict[str, Any]:
    """A section of s3why's own text (no `<`, `>` or `&` markup of its own): escaped whole (bot/escape.py)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(text)[:3000]}}


def _one_per_kind(warnings: tuple[ParseWarning, ...]) -> tuple[ParseWarning, ...]:
    """One rotate warning per kind of credential (ten pasted tokens of one kind need one warning in Slack)."""
    seen: dict[str | None, ParseWarning] = {}
    for w in warnings:
        seen.setdefault(w.secret_type, w)
    return tuple(seen.values())


def _echo(user: str) -> str:
    """The public parent message of a /s3why run: who asked, never what they pasted (even redacted, a paste can
    hold names and data its author meant for s3why only); the answer follows in its thread."""
    return f"<@{user}> asked s3why about an AWS error with /s3why: the answer is in this thread."


@dataclass
class Run:
    """One diagnosis request, kept (redacted) so buttons can re-run or re-render it."""

    text: str
    channel: str
    thread_ts: str
    message_ts: str | None = None
    principal: str | None = None
    context: dict[str, list[str]] | None = None
    fix_format: str = "cli"
    scope: str | None = None  # the reach chosen for the fixes (object | prefix | bucket); None: each fix's default
    scope_by: str | None = None  # who chose that reach with the scope select (named where approval is asked)
    account: str | None = None
    response_url: str | None = None  # set for answers only the asker sees (/s3why in an "ephemeral" channel)
    requester: str | None = None  # who asked: they cannot approve their own fix (unless configured)
    # everyone else who asked: the author of the message a shortcut ran on, of the thread an @mention is in
    requesters: list[str] = field(default_factory=list)
    # warnings about credentials found in the original text (type and advice only, never the value)
    secret_warnings: list[dict[str, Any]] = field(default_factory=list)
    # what the user said besides the text (operation, bucket, key: the select, a reply in the thread)
    facts: dict[str, str] = field(default_factory=dict)
    # the facts s3why asked for in its answer (principal, operation, object, context): a thread reply may give
    # only these, never switch what the diagnosis already knows
    asked: list[str] = field(default_factory=list)
    # the accounts the answer involved (the principal's, the resource owner's, the one asked about): whose approvers
    # may see its full report and steer it; empty until it is answered
    involved: list[str] = field(default_factory=list)
    # each request's presigned-URL access key id (redacted from `text`): held in memory for the first diagnosis
    # only, to find the URL's signer; never stored (`stored()`), re-runs use the signer the first one resolved
    signer_keys: list[str | None] = field(default_factory=list)

    @classmethod
    def of(cls, parsed: ParseResult, channel: str, thread_ts: str, **kw: Any) -> Run:
        """A run from a parse of the original text: keeps only the redacted text and the secret warnings."""
        warnings = [w.to_json() for w in parsed.secrets]
        keys = [r.presigned.access_key_id if r.presigned else None for r in parsed.requests]
        kw.setdefault("signer_keys", keys if any(keys) else [])
        return cls(parsed.redacted_text, channel, thread_ts, secret_warnings=warnings, **kw)

    def stored(self) -> dict[str, Any]:
        """What is kept in the store: everything but the access key ids."""
        return {k: v for k, v in self.__dict__.items() if k != "signer_keys"}

    def warnings(self) -> tuple[ParseWarning, ...]:
        return tuple(ParseWarning(**w) for w in self.secret_warnings)

    def options_context(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in (self.context or {}).items()}


def asked_facts(d: Diagnosis) -> list[str]:
    """What the answer asks the person for (bot/slack/blocks.py `_question` and the operation select): a reply in
    the thread may give these facts only."""
    asked = []
    if any("--principal" in n for n in d.notes):
        asked.append("principal")
    unnamed = d.request.get("operation_candidates") and not d.request.get("operation")
    if unnamed or any("S3 operation" in n for n in d.notes):
        asked.append("operation")
    if unnamed or not d.request.get("bucket"):
        asked.append("object")  # the operation question invites `s3://bucket/key` too
    if any("--context" in n for n in d.notes):
        asked.append("context")
    # a branch the answer shows ("what the text cannot tell": over plain HTTP denied, over HTTPS allowed) asks how
    # the request was sent, for that key only
    asked.extend(f"context:{b['key']}" for b in d.branches if b.get("key"))
    return asked


def asked_context(asked: list[str] | set[str], key: str) -> bool:
    """Did the answer ask how the request was sent, for this key (a `--context` question, or a branch on it)?"""
    return "context" in asked or f"context:{key}".lower() in {a.lower() for a in asked}


def signed_by(diagnoses: list[Diagnosis], run: Run) -> bool:
    """Keep the signer the first diagnosis resolved from a presigned URL as the run's principal (the key id that
    found it is not stored): True when the run changed."""
    run.signer_keys = []
    signer = diagnoses[0].request.get("signer") if diagnoses else None
    user = signer.get("user_arn") if isinstance(signer, dict) else None
    if isinstance(user, str) and user != run.principal:
        run.principal = user
        return True
    return False


def actionable(parsed: ParseResult) -> bool:
    """Does the text hold an AWS error worth answering (not chatter that merely says "access denied")?"""
    for req in parsed.requests:
        if req.error_code is None:
            continue
        if req.error_code not in ACCESS_DENIED_CODES and req.error_code not in LOOKALIKES:
            continue
        if any(
            (
                req.operation,
                req.action,
                req.bucket,
                req.request_id,
                req.principal_arn,
                req.resource_arn,
                req.http_status,
            )
        ):
            return True
    return False


def _asker(body: dict[str, Any]) -> str:
    """Whose turn a request's work takes in the fair queue: the user who asked, else the channel."""

    def part(name: str) -> dict[str, Any]:
        value = body.get(name)
        return value if isinstance(value, dict) else {}

    event, user, channel = part("event"), part("user"), part("channel")
    who = event.get("user") or body.get("user_id") or user.get("id")
    where = event.get("channel") or body.get("channel_id") or channel.get("id")
    return f"user:{who}" if who else f"channel:{where or ''}"


def create_app(
    *,
    client: WebClient,
    signing_secret: str,
    config: Config,
    store: Store,
    diagnoser: Diagnoser,
    approvals: Approvals | None = None,
    process_before_response: bool = False,
    reconcile_seconds: float = 60.0,
    runs_per_user_minute: int = 12,
    errors_per_message: int = 5,
    asker: Asker | None = None,
    workers: int = 5,
) -> App:
    """The Bolt app. With `approvals`, a daemon thread reconciles, every `reconcile_seconds`, proposals a state
    store failure left in flight, and posts what it found in their threads."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        logger=safe_logger(),  # Bolt's lines never carry a request body or a secret (bot/logs.py)
        token_verification_enabled=False,  # `s3why serve` checks the token at start (bot/startup.py), one line
        listener_executor=FairExecutor(workers),  # the work of each asker in turn (bot/slack/fair.py)
    )
    # a rate-limited Web API call is retried after Slack's Retry-After (slack_sdk's handler), twice at most
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    bot_user: dict[str, str | None] = {"id": None}
    try:
        bot_user["id"] = client.auth_test().get("user_id")
    except Exception:
        log.warning("auth.test failed; own messages are recognised by bot_id only")

    @app.middleware
    def drop_duplicate_events(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id")
        ask_as(_asker(body))  # the work this request starts waits in its asker's queue (bot/slack/fair.py)
        kind = str(body.get("type") or ("command" if body.get("command") else "other"))
        METRICS.inc("s3why_slack_events_total", kind=kind)
        if event_id and not store.claim(f"event:{event_id}"):
            return BoltResponse(status=200, body="")  # a retry, or another replica has it: ack, do nothing
        return next()

    # --- the work, shared by every entry point ---------------------------------------------------------
    def diagnose_run(run: Run, *, fresh: bool) -> tuple[ParseResult, list[Diagnosis]]:
        """The run's text diagnosed with everything the run holds (principal, context, account, facts, presigned
        signers' keys): the answer, its branches, its full report and its pull requests all read the same one."""
        return diagnoser(
            run.text,
            principal=run.principal,
            context=run.options_context(),
            fresh=fresh,
            account=run.account,
            facts=run.facts or None,
            **({"signer_keys": run.signer_keys} if run.signer_keys else {}),
        )

    def show(run: Run, ts: str | None, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post (ts None) or update the answer where this run lives; returns the message's ts."""
        text = mrkdwn(text)  # the notification text is mrkdwn too; s3why's own here has no markup
        if run.response_url:  # only the asker sees it: Slack's response_url, replacing the previous answer
            WebhookClient(run.response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=ts is not None
            )
            return ts or "ephemeral"
        if ts is None:
            return str(
                client.chat_postMessage(channel=run.channel, thread_ts=run.thread_ts, text=text, blocks=blocks)["ts"]
            )
        client.chat_update(channel=run.channel, ts=ts, text=text, blocks=blocks)
        return ts

    def run_and_post(
        run: Run,
        *,
        fresh: bool = False,
        progress_ts: str | None = None,
        actor: str | None = None,
        again: bool = False,
    ) -> None:
        """Diagnose and answer; `actor`: who clicked, when a click under an answer started it (their rate limit is
        the one spent, not the asker's); `again`: the answer at `progress_ts` says "Looking again…" while it runs —
        only once the ask is taken (a refused click leaves the answer as it was)."""
        started = time.perf_counter()
        if run.account is None and run.channel in config.channels:
            run.account = config.channels[run.channel].account
        refused = ask_refusal(run)
        if (
            refused is None
            and actor
            and actor not in {run.requester, *run.requesters}
            and not is_approver_for(run, actor)
        ):
            refused = ask_refusal(replace(run, requester=actor))  # a click makes s3why read AWS too: askers only
        charged = actor or run.requester
        if refused is None and charged:
            refused = rate_refusal(charged)
        if refused:
            if charged:
                tell_refused(run.channel, charged, refused)
            log.info("ask refused in %s: not an asker, or over the rate limit", run.channel)
            return
        if again and progress_ts is not None:
            show(run, progress_ts, "Looking again…", progress_blocks(len(LayerId)))
        if progress_ts is None:
            progress_ts = show(run, None, "Looking at the layers…", progress_blocks(len(LayerId)))
        run.message_ts = progress_ts
        run_id = uuid.uuid4().hex
        store.put(f"run:{run_id}", run.stored())
        if not run.response_url:  # a reply in this thread naming a missing fact continues this run
            point_thread(run, run_id)
        try:
            parsed, diagnoses = diagnose_run(run, fresh=fresh)
        except Exception as exc:
            log.exception("diagnosis failed", extra={"request_id": run_id})
            reason = failure_reason(exc)  # e.g. "s3why has no usable AWS credentials", not NoCredentialsError
            text = (
                f":warning: s3why could not finish this diagnosis ({reason}). "
                "Try *Re-run fresh*, or check s3why's AWS access."
            )
            show(run, progress_ts, f"s3why could not finish: {reason}", [_mrkdwn(text)])
            return
        diagnoses = [diagnosis_with_scope(d, run.scope) for d in diagnoses]
        run.involved = sorted(involved_accounts(run, diagnoses))
        outside = account_refusal(run, diagnoses)
        if outside:  # nothing of the diagnosis is shown, nothing proposed
            show(run, progress_ts, outside, [_mrkdwn(f":no_entry: {outside}")])
            return
        if signed_by(diagnoses, run):  # a presigned URL's signer: re-runs and approvals evaluate as it
            store.put(f"run:{run_id}", run.stored())
        if not diagnoses:
            show(run, progress_ts, "No AWS error found in that text.", [_mrkdwn("No AWS error found in that text.")])
            return
        for d in diagnoses:
            METRICS.inc("s3why_diagnoses_total", decision=d.decision)
            for cause in d.root_causes[:1]:
                METRICS.inc("s3why_root_causes_total", layer=cause.layer.value)
        first = diagnoses[0]
        unnamed = first.request.get("operation_candidates") if not first.request.get("operation") else None
        if unnamed:  # s3why asks which operation: a reply naming it in plain words ("uploading") answers
            run.facts = {**run.facts, "candidates": ",".join(unnamed)}
        run.asked = asked_facts(first)
        store.put(f"run:{run_id}", run.stored())
        log.info(
            "diagnosis",
            extra={
                "request_id": run_id,
                "channel": run.channel,
                "decision": first.decision,
                "layer": first.root_causes[0].layer.value if first.root_causes else None,
                "errors": len(diagnoses),
                "fresh": fresh,
            },
        )
        blocks = diagnosis_blocks(
            first,
            run_id,
            fix_format=run.fix_format,
            warnings=_one_per_kind(parsed.secrets or run.warnings()),
            proposals=propose(run, run_id, first, 0),
            asked_by=(run.requester or "", *run.requesters),
            private_documents=guarded_reports(),
        )
        verdict = verdict_line(first)[:3000]
        if guarded_reports():  # a key's owner is for approvers (Full report); the thread names its account
            verdict, blocks = without_key_owner(first, run.text, verdict, blocks)
        answer(run, progress_ts, verdict, blocks)
        METRICS.observe("s3why_answer_seconds", time.perf_counter() - started)
        if len(parsed.requests) > errors_per_message:  # one message cannot make s3why read AWS for everyone
            skipped = len(parsed.requests) - errors_per_message
            note = (
                f"This message holds {len(parsed.requests)} AWS errors: s3why answers the first {errors_per_message} "
                f"({skipped} not looked at). Paste the others in a message of their own."
            )
            show(run, None, note, [_mrkdwn(f":information_source: {note}")])
        for index, extra in enumerate(diagnoses[1:errors_per_message], 1):
            more = diagnosis_blocks(
                extra,
                run_id,
                diagnosis_index=index,
                fix_format=run.fix_format,
                proposals=propose(run, run_id, extra, index),
                asked_by=(run.requester or "", *run.requesters),
                private_documents=guarded_reports(),
            )
            verdict = verdict_line(extra)[:3000]
            if guarded_reports():
                verdict, more = without_key_owner(extra, run.text, verdict, more)
            show(run, None, verdict, more)

    def answer(run: Run, ts: str | None, text: str, blocks: list[dict[str, Any]]) -> None:
        """Show the answer; when Slack refuses it (too large, invalid, still rate limited after the retries),
        a short fallback in its place, so the thread is never left on "Looking at the layers…"."""
        try:
            show(run, ts, text, blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            log.warning("answer not posted (%s); posting the short fallback", error)
            METRICS.inc("s3why_slack_fallbacks_total", error=error[:40])
            short = f"{text[:2000]}\n_Slack refused the full answer ({error}): use *Full report* or `s3why diagnose`._"
            try:
                show(run, ts, text[:200], [_mrkdwn(short)])
            except SlackApiError as again:
                log.warning("fallback not posted either (%s)", again.response.get("error"))

    def propose(run: Run, run_id: str, d: Diagnosis, index: int) -> dict[int, Proposal]:
        """Record each applicable fix as a proposal (Redis, with its TTL); fix index -> proposal id."""
        if approvals is None or run.response_url:  # approvals happen in a thread everyone can see
            return {}
        request = {
            "text": run.text,
            "index": index,
            "principal": run.principal,
            "principal_arn": d.request.get("principal_arn"),  # as the diagnosis resolved it
            "context": run.context or {},
            "account": run.account,
            "facts": {k: v for k, v in run.facts.items() if k != "candidates"},
            "scope": run.scope,  # the rebuild at apply time computes the fix with the same reach
            "scope_by": run.scope_by,  # who chose it: the approval message names them
        }
        out: dict[int, Proposal] = {}
        for i, fix in enumerate(d.fixes[:5]):
            made = proposal_for(
                fix,
                requester=run.requester,
                channel=run.channel,
                thread_ts=run.thread_ts,
                run_id=run_id,
                request=request,
                requesters=run.requesters,
            )
            if made is None or not approvals.writable(made):
                continue
            own = grant_refusal(made, config.known_accounts()) or approvals.access_refusal(made)
            if own:  # advice only: s3why never offers to change its own access, nor to grant outside
                log.warning("fix not offered for approval: %s", own)
                continue
            try:
                out[i] = approvals.store.propose(made, actor=None)
            except redis.RedisError:
                log.warning("redis unavailable: fixes are shown without approval buttons")
                return {}
        return out

    def channel_mode(channel: str) -> str:
        settings = config.channels.get(channel)
        return settings.mode if settings else "auto"

    # --- pasted errors ---------------------------------------------------------------------------------
    def ack_event(ack: Callable[..., None]) -> None:
        ack()

    def on_message(event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") in _IGNORED_SUBTYPES or event.get("user") == bot_user["id"]:
            return
        channel = event.get("channel", "")
        if event.get("channel_type") != "im" and channel_mode(channel) != "auto":
            return
        text = _message_text(event)
        if bot_user["id"] and f"<@{bot_user['id']}>" in text:
            return  # the app_mention listener answers it
        parsed = parse_text(text)
        if not actionable(parsed):
            if event.get("thread_ts"):
                continue_in_thread(channel, str(event["thread_ts"]), text, event.get("user"))
            return
        run_and_post(Run.of(parsed, channel, event.get("thread_ts") or event["ts"], requester=event.get("user")))

    def point_thread(run: Run, run_id: str) -> None:
        """Which run a reply in this thread continues: each asker's own latest run (`thread:C:TS:USER`), and the
        thread's (`thread:C:TS`, for approvers and the thread's other askers). A run by someone who did not ask
        the thread's run (their own paste in another person's thread) never takes the thread's pointer, so the
        first asker's reply still answers their own pending question."""
        key = f"thread:{run.channel}:{run.thread_ts}"
        if run.requester:
            store.put(f"{key}:{run.requester}", {"run_id": run_id})
        current = store.get(key)
        _, owner = load_run(str(current.get("run_id", ""))) if current else ("", None)
        if owner is None or run.requester in {owner.requester, *owner.requesters}:
            store.put(key, {"run_id": run_id})

    def thread_run(channel: str, thread_ts: str, user: str | None) -> Run | None:
        """The run a reply by `user` in this thread continues: their own latest there, else the thread's."""
        key = f"thread:{channel}:{thread_ts}"
        pointer = (store.get(f"{key}:{user}") if user else None) or store.get(key)
        return load_run(str(pointer.get("run_id", "")))[1] if pointer else None

    def continue_in_thread(channel: str, thread_ts: str, text: str, user: str | None) -> None:
        """A reply in a diagnosis's thread that names what s3why asked for (the principal, the operation, the
        object, how it was sent) continues that diagnosis with it; any other reply is left alone."""
        run = thread_run(channel, thread_ts, user)
        if run is None:
            return
        if not may_continue(run, user):
            level = logging.INFO if reply_facts(text) else logging.DEBUG  # chatter in a thread is ordinary
            log.log(level, "thread reply not taken: its author neither asked nor approves in this account")
            return
        facts = reply_facts(text)
        asked = set(run.asked)
        asked_operation = bool(run.facts.get("candidates"))
        operation = facts.operation or (facts.operation_guess if asked_operation else None)
        # only the facts s3why asked for: a reply never switches the principal, the bucket or the operation of a
        # diagnosis that already has them
        stated = facts.context
        facts = replace(
            facts,
            principal=facts.principal if "principal" in asked else None,
            bucket=facts.bucket if "object" in asked else None,
            key=facts.key if "object" in asked else None,
            # how it was sent, where asked and not already given (a reply adds to the context, never switches it)
            context={k: v for k, v in stated.items() if asked_context(asked, k) and k not in (run.context or {})},
        )
        operation = operation if "operation" in asked else None
        if not (facts.principal or operation or facts.bucket or facts.key or facts.context):
            level = logging.INFO if reply_facts(text) else logging.DEBUG
            log.log(level, "thread reply not taken: it names nothing s3why asked for (or what the run already has)")
            return
        known = dict(run.facts)  # reply_facts names only operations s3why knows
        known.pop("candidates", None)
        known.update({k: v for k, v in (("operation", operation), ("bucket", facts.bucket), ("key", facts.key)) if v})
        context = dict(run.context or {})
        context.update({k: list(v) for k, v in facts.context.items()})
        requesters = list(dict.fromkeys([*run.requesters, *([user] if user and user != run.requester else [])]))
        continued = replace(
            run,
            principal=facts.principal or run.principal,
            facts=known,
            context=context,
            message_ts=None,
            requesters=requesters,
        )
        pending = {k: v for k, v in stated.items() if k not in facts.context and k not in context}
        if pending:  # told how it was sent before s3why could ask: taken where the continued answer asks it
            shown = {k.lower() for k in branch_keys(continued)}
            taken = {k: list(v) for k, v in pending.items() if k.lower() in shown}
            continued = replace(continued, context={**context, **taken})
        run_and_post(continued, actor=user)  # the replier's rate limit, not the asker's

    def branch_keys(run: Run) -> set[str]:
        """The keys the answer to this run would show as branches (what it would ask about how the request was
        sent): a reply that names the principal and how the request was sent answers both at once."""
        try:
            _, found = diagnose_run(run, fresh=False)
        except Exception:  # run_and_post diagnoses again and says what failed
            log.info("thread reply: could not tell which branches the continued answer shows")
            return set()
        return {str(b["key"]) for b in found[0].branches if b.get("key")} if found else set()

    def guarded_reports() -> bool:
        """Full policy documents are for approvers only once any account names approvers."""
        return any(a.approvers or a.approvers_by_risk for a in config.accounts)

    def is_approver_for(run: Run, user: str) -> bool:
        """An approver of every account the run's answer involved that names approvers (the principal's, the
        resource owner's, the one asked about): an approver of another account is not one here. A run not answered
        yet: of its account, else of any configured account."""
        if approvals is None or not user:
            return False
        if run.involved:
            accounts = [a for a in config.accounts if a.id in run.involved]
        else:
            accounts = [a for a in config.accounts if run.account is None or a.id == run.account]
        every = [(*a.approvers, *(x for v in a.approvers_by_risk.values() for x in v)) for a in accounts]
        every = [approvers for approvers in every if approvers]
        if run.involved:
            return bool(every) and all(approvals._is_approver(user, approvers) for approvers in every)
        return any(approvals._is_approver(user, approvers) for approvers in every)

    def tell_refused(channel: str, user: str, text: str) -> None:
        """Tell a person why s3why did not act, at most once a minute for one reason: a held button or a flood of
        asks cannot make s3why spend Slack's rate limit (which every asker shares) on refusals."""
        if store.claim(f"told:{user}:{hashlib.sha256(text.encode()).hexdigest()[:16]}", ttl=60):
            client.chat_postEphemeral(channel=channel, user=user, text=text)

    def rate_refusal(user: str) -> str | None:
        """Spend one of this person's asks for the minute; why not, once they are spent."""
        if store.count(f"rate:{user}", 60) > runs_per_user_minute:
            return (
                f"You have asked s3why more than {runs_per_user_minute} times in the last minute: wait a moment and "
                "ask again (one person cannot starve the others)."
            )
        return None

    def ask_refusal(run: Run) -> str | None:
        """Why this person may not ask in this channel (`channels.<id>.askers`), None when they may."""
        settings = config.channels.get(run.channel)
        if settings is None or not settings.askers:
            return None
        user = run.requester or ""
        if user in settings.askers or any(g.startswith("S") and user in group_members(g) for g in settings.askers):
            return None
        return "In this channel only the people configured as askers can ask s3why (channels.askers)."

    def account_refusal(run: Run, diagnoses: list[Diagnosis]) -> str | None:
        """Why this channel may not see this diagnosis: an account it involves (the principal's, the resource
        owner's, the one asked about) is not in the channel's allow-list (`channels.<id>.accounts`)."""
        settings = config.channels.get(run.channel)
        if settings is None or settings.accounts is None:
            return None
        involved = involved_accounts(run, diagnoses)
        allowed = ", ".join(settings.accounts) or "none"
        if not involved:
            return f"s3why could not tell which account this is about; this channel may ask about {allowed} only."
        outside = sorted(a for a in involved if a not in settings.accounts)
        if outside:
            return f"This channel may ask about accounts {allowed} only; this error involves {', '.join(outside)}."
        return None

    def involved_accounts(run: Run, diagnoses: list[Diagnosis]) -> set[str]:
        """The accounts an answer involves: the one asked about, each principal's and each resource owner's."""
        involved = {run.account} if run.account else set()
        for d in diagnoses:
            resolved = d.request.get("resolved") or {}
            principal = Arn.parse(str(resolved.get("principal") or d.request.get("principal_arn") or ""))
            involved |= {principal.account} if principal is not None and principal.account else set()
            owner = resolved.get("resource_owner")
            involved |= {str(owner)} if owner else set()
        return involved

    def may_continue(run: Run, user: str | None) -> bool:
        """A thread reply continues a run only from someone who asked, or an approver of the run's account (of
        any configured account when the run names none)."""
        if not user:
            return False
        return user in {run.requester, *run.requesters} or is_approver_for(run, user)

    app.event("message")(ack=ack_event, lazy=[on_message])

    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        channel = event.get("channel", "")
        if channel_mode(channel) == "off":
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        parsed = parse_text(_MENTION.sub("", event.get("text") or ""))
        authors: list[str] = []
        if not actionable(parsed) and event.get("thread_ts"):
            # the thread's message again: only for whoever may continue the run already answering it there
            current = thread_run(channel, str(event["thread_ts"]), None)
            user = str(event.get("user") or "")
            if current is not None and not may_continue(current, user):
                log.info("mention not taken: the thread's diagnosis is someone else's")
                client.chat_postEphemeral(channel=channel, user=user, text=_NOT_YOURS.format(what="text or principal"))
                return
            replies = client.conversations_replies(channel=channel, ts=event["thread_ts"], limit=1)
            messages = replies.get("messages") or []
            parsed = parse_text(messages[0].get("text", "") if messages else "")
            authors = [str(messages[0]["user"])] if messages and messages[0].get("user") else []
        if not actionable(parsed):
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=help_text())
            return
        run_and_post(Run.of(parsed, channel, thread_ts, requester=event.get("user"), requesters=authors))

    app.event("app_mention")(ack=ack_event, lazy=[on_mention])

    # --- /s3why ----------------------------------------------------------------------------------------
    def ack_command(ack: Callable[..., None], command: dict[str, Any], client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        if channel_mode(command.get("channel_id", "")) == "off" and text.lower() not in ("help", "-h", "--help"):
            ack(response_type="ephemeral", text=_OFF)
            return
        if is_can(text):  # "/s3why can PRINCIPAL ACTION RESOURCE": a question, not an error (bot/slack/can.py)
            try:
                read_question(text)
            except UsageError as exc:
                ack(response_type="ephemeral", text=str(exc))
                return
            ack(response_type="ephemeral", text="Checking every layer… the answer comes in a thread.")
            return
        if text.lower() in ("help", "-h", "--help"):
            ack(response_type="ephemeral", text=help_text())
        elif not text:
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=_modal(command.get("channel_id", ""), None, ""))
        elif slash_reply(command.get("channel_id", "")) == "ephemeral":
            ack(response_type="ephemeral", text="Looking at the layers… (only you will see the answer)")
        else:
            ack(response_type="ephemeral", text="Diagnosing… the answer comes in a thread.")

    def slash_reply(channel: str) -> str:
        settings = config.channels.get(channel)
        return settings.slash_reply if settings else "thread"

    def on_command(command: dict[str, Any], client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        if not text or text.lower() in ("help", "-h", "--help"):
            return
        if channel_mode(command["channel_id"]) == "off":
            log.info("question not taken: s3why is off in this channel (the ack said so)")
            return
        if is_can(text):
            if asker is None:
                return
            try:
                question = read_question(text)
            except UsageError:
                return  # the ack said why
            channel, user = command["channel_id"], command.get("user_id", "")
            # the same gate as every other way of asking: who may ask here, the asker's rate limit, then (on the
            # answer, before anything is posted) the accounts this channel may see
            asking = Run("", channel, "", requester=user)
            refused = ask_refusal(asking) or rate_refusal(user)
            if refused:
                log.info("question not taken in %s: not an asker, or over the rate limit", channel)
                tell_refused(channel, user, refused)
                return
            answer_question(
                client,
                asker,
                question,
                channel=channel,
                user=user,
                private_documents=guarded_reports(),
                refusal=lambda found: account_refusal(asking, [found]),
                response_url=command.get("response_url") if slash_reply(channel) == "ephemeral" else None,
            )
            return
        parsed = parse_text(text)
        channel = command["channel_id"]
        if slash_reply(channel) == "ephemeral":
            user = command.get("user_id")
            ephemeral = Run.of(parsed, channel, "", response_url=command["response_url"], requester=user)
            run_and_post(ephemeral, progress_ts="ephemeral")
            return
        parent = client.chat_postMessage(channel=channel, text=_echo(command["user_id"]))
        run_and_post(Run.of(parsed, channel, parent["ts"], requester=command.get("user_id")))

    app.command("/s3why")(ack=ack_command, lazy=[on_command])

    def ack_view(ack: Callable[..., None], view: dict[str, Any]) -> None:
        form = read_form(view)
        if form.errors:
            ack(response_action="errors", errors=form.errors)  # Slack shows each under its field
        else:
            ack()

    def on_view(view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        form = read_form(view)
        if form.errors:
            return  # the person was shown the errors and the form stays open
        meta = form_metadata(view)
        channel = str(meta.get("channel") or body["user"]["id"])
        thread_ts = meta.get("thread_ts") if isinstance(meta.get("thread_ts"), str) else None
        if not thread_ts:
            parent = client.chat_postMessage(channel=channel, text=_echo(body["user"]["id"]))
            thread_ts = parent["ts"]
        run = Run.of(
            form.parsed,
            channel,
            thread_ts,
            principal=form.principal,
            context=form.context,
            requester=body["user"]["id"],
            # from a "tell s3why" button on someone else's run: they asked too (two-person rule)
            requesters=[str(r) for r in meta.get("requesters") or [] if isinstance(r, str)],
        )
        run.account = form.account
        run_and_post(run)

    app.view("s3why_modal")(ack=ack_view, lazy=[on_view])

    # --- the message shortcut --------------------------------------------------------------------------
    def ack_shortcut(ack: Callable[..., None]) -> None:
        ack()

    def on_shortcut(shortcut: dict[str, Any]) -> None:
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id", "")
        parsed = parse_text(message.get("text") or "")
        thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
        if channel_mode(channel) == "off":
            client.chat_postEphemeral(channel=channel, user=shortcut["user"]["id"], text=_OFF)
            return
        if not actionable(parsed):
            client.chat_postEphemeral(
                channel=channel, user=shortcut["user"]["id"], text="No AWS error found in that message."
            )
            return
        invoker = shortcut["user"]["id"]
        author = [str(message["user"])] if message.get("user") and message.get("user") != invoker else []
        run_and_post(Run.of(parsed, channel, thread_ts, requester=invoker, requesters=author))

    app.shortcut("s3why_diagnose_message")(ack=ack_shortcut, lazy=[on_shortcut])

    # --- buttons -----------------------------------------------------------------------------------------
    def ack_action(ack: Callable[..., None]) -> None:
        ack()

    def load_run(value: str) -> tuple[str, Run | None]:
        run_id = value.split("|", 1)[0]
        data = store.get(f"run:{run_id}")
        return run_id, Run(**data) if data else None

    def load_run_here(body: dict[str, Any], value: str) -> tuple[str, Run | None]:
        """The run a click names, only when clicked where that run's answer is: its channel, and its thread (or
        the answer message itself). Otherwise the clicker is told privately, one line is logged, and None comes
        back with the run id (an expired run also gives None, after saying so)."""
        run_id, run = load_run(value)
        if run is None:
            expired(body)
            return run_id, None
        channel, ts = click_place(body)
        if channel == run.channel and ts in {run.thread_ts, run.message_ts or run.thread_ts}:
            return run_id, run
        user = str((body.get("user") or {}).get("id", ""))
        log.warning("click on run %s refused: from %r/%r by %r, not its thread", run_id[:32], channel, ts, user)
        client.chat_postEphemeral(channel=channel, user=user, text=_ELSEWHERE)
        return run_id, None

    def expired(body: dict[str, Any]) -> None:
        client.chat_postEphemeral(
            channel=body["channel"]["id"],
            user=body["user"]["id"],
            text="This diagnosis has expired (after 24 hours): paste the error again.",
        )

    def on_rerun(body: dict[str, Any], action: dict[str, Any]) -> None:
        _, run = load_run_here(body, action["value"])
        if run is None:
            return
        progress = run.message_ts or str((body.get("container") or {}).get("message_ts") or "") or None
        run_and_post(run, fresh=True, progress_ts=progress, actor=clicker(body), again=True)

    app.action("s3why_rerun")(ack=ack_action, lazy=[on_rerun])

    def clicker(body: dict[str, Any]) -> str:
        return str((body.get("user") or {}).get("id", ""))

    def selected(
        body: dict[str, Any],
        action: dict[str, Any],
        offered: Callable[[Run], Collection[str]],
        what: str,
        *,
        owners_only: bool = False,
    ) -> tuple[Run, str] | None:
        """The run a select under an answer names (`RUN_ID|OPTION`) and the option chosen: only when clicked where
        the answer is, only an option the select offers, and with `owners_only` only by someone who asked or an
        approver (anyone else is told so privately: they cannot change another person's diagnosis or fix)."""
        value = str((action.get("selected_option") or {}).get("value") or "")
        _, run = load_run_here(body, value)
        if run is None:
            return None
        user = clicker(body)
        if owners_only and not may_continue(run, user):
            log.info("%s select refused: its clicker neither asked nor approves in this account", what)
            client.chat_postEphemeral(channel=run.channel, user=user, text=_NOT_YOURS.format(what=what))
            return None
        option = value.partition("|")[2]
        if option not in offered(run):  # a forged or stale value: never stored, never rendered
            log.warning("%s select ignored: %r is not offered", what, option[:40])
            return None
        return run, option

    def on_format(body: dict[str, Any], action: dict[str, Any]) -> None:
        if (picked := selected(body, action, lambda _: FORMATS, "fix format")) is not None:
            run, fix_format = picked
            run_and_post(replace(run, fix_format=fix_format), progress_ts=run.message_ts, actor=clicker(body))

    app.action("s3why_fix_format")(ack=ack_action, lazy=[on_format])

    def on_pick_operation(body: dict[str, Any], action: dict[str, Any]) -> None:
        """The select under an answer whose operation the text did not name: diagnose that operation."""
        if (picked := selected(body, action, offered_operations, "operation", owners_only=True)) is not None:
            run, operation = picked
            picked_run = replace(run, facts={**run.facts, "operation": operation})
            run_and_post(picked_run, progress_ts=run.message_ts, actor=clicker(body))

    def offered_operations(run: Run) -> set[str]:
        """The operations the answer's select offered: the candidates s3why evaluated (none once it was told)."""
        return {op for op in run.facts.get("candidates", "").split(",") if op in S3_OPERATIONS}

    app.action("s3why_pick_operation")(ack=ack_action, lazy=[on_pick_operation])

    def on_scope(body: dict[str, Any], action: dict[str, Any]) -> None:
        """The scope select: the fixes are shown (and proposed for approval) with the chosen reach."""
        if (picked := selected(body, action, lambda _: _SCOPES, "scope", owners_only=True)) is not None:
            run, scope = picked
            user = clicker(body)
            run_and_post(replace(run, scope=scope, scope_by=user), progress_ts=run.message_ts, actor=user)

    app.action("s3why_fix_scope")(ack=ack_action, lazy=[on_scope])

    def on_iac_pr(body: dict[str, Any], action: dict[str, Any]) -> None:
        """Approving a Terraform fix opens a pull request (bot/iac/approve.py) and posts its link in the thread:
        the fix of the error the button is under, and only when the change computed now is the one it showed."""
        run_id, run = load_run_here(body, action["value"])
        if run is None:
            return
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id", "")
        parts = str(action["value"]).split("|")
        if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):  # an older answer's, or forged
            client.chat_postEphemeral(channel=channel, user=user, text=_PR_CHANGED)
            return
        index, which, digest = int(parts[1]), int(parts[2]), parts[3]
        if user in run.requesters and not config.self_approval:  # everyone who asked, not only the first
            client.chat_postEphemeral(channel=channel, user=user, text=_OWN_FIX)
            return
        if not store.claim(f"iac-pr:{run_id}:{which}:{index}:{user}", ttl=60):
            return  # a double click
        _, diagnoses = diagnose_run(run, fresh=False)
        d = diagnosis_with_scope(diagnoses[which], run.scope) if which < len(diagnoses) else None
        if d is None or index >= len(d.fixes):
            expired(body)
            return
        if change_digest(d.fixes[index]) != digest:
            log.warning("pull request refused: the change computed now is not the one the button showed")
            client.chat_postEphemeral(channel=channel, user=user, text=_PR_CHANGED)
            return
        requesters = tuple(run.requesters)
        if not (run.requester or requesters) and not config.self_approval:
            # nobody asked (s3why watch found the denial): the person denied may be this approver, so the first
            # approver's click asks for the pull request and another approver's opens it (two-person rule)
            ask_key = f"iac-ask:{run_id}:{which}:{index}"
            asked = store.get(ask_key)
            if asked is None:
                if not is_approver_for(run, user):
                    client.chat_postEphemeral(channel=channel, user=user, text=_PR_APPROVERS)
                    return
                store.put(ask_key, {"user": user})
                ask = f"<@{user}> asks for this pull request (s3why found the denial on its own, nobody had asked): "
                client.chat_postMessage(
                    channel=run.channel,
                    thread_ts=run.thread_ts,
                    text=mrkdwn(ask + "another approver opens it (two-person rule).", mentions=(user,)),
                )
                return
            requesters = (str(asked.get("user") or ""),)
        done, message = approve_pull_request(
            fix=d.fixes[index],
            verdict=verdict_line(d),
            cause=d.root_causes[0].summary if d.root_causes else "",
            user=user,
            requester=run.requester,
            config=config,
            account=run.account,
            is_member=(lambda u, g: approvals is not None and approvals._is_approver(u, (g,))),
            approvals=approvals,
            requesters=requesters,
            run={"channel": run.channel, "thread_ts": run.thread_ts, "run_id": run_id, "request": {"text": run.text}},
        )
        message = mrkdwn(message, mentions=(user,))  # the reason may quote pasted names; the mention stays live
        if done:
            client.chat_postMessage(channel=run.channel, thread_ts=run.thread_ts, text=message)
        else:
            client.chat_postEphemeral(channel=run.channel, user=user, text=message)

    app.action("s3why_iac_pr")(ack=ack_action, lazy=[on_iac_pr])

    def on_full_report(body: dict[str, Any], action: dict[str, Any]) -> None:
        """The whole report in the thread (with approvers configured: to an approver, privately). Who may see it is
        decided, and the clicker's rate limit spent, before anything is diagnosed: a held button floods nothing."""
        _, run = load_run_here(body, action["value"])
        if run is None:
            return
        user = clicker(body)
        if guarded_reports() and not is_approver_for(run, user):
            client.chat_postEphemeral(channel=run.channel, user=user, text=_APPROVERS_ONLY)
            return
        refused = rate_refusal(user) if user else None
        if refused:
            log.info("full report refused: its clicker is over the rate limit")
            tell_refused(run.channel, user, refused)
            return
        _, diagnoses = diagnose_run(run, fresh=False)
        report = "\n".join(diagnosis_text(d) for d in diagnoses) or "(no AWS error found)"
        if guarded_reports():  # approvers are configured: full documents go to approvers only, privately
            chunks = [report[i : i + 2900] for i in range(0, len(report), 2900)]
            for n, chunk in enumerate(chunks[:20]):
                cut = "\n_… truncated: run `s3why diagnose`_" if n == 19 and len(chunks) > 20 else ""
                text = f"```{chunk.replace('```', chr(39) * 3)}```{cut}"
                client.chat_postEphemeral(channel=run.channel, user=user, text=mrkdwn(text), thread_ts=run.thread_ts)
            return
        if not run.response_url:
            try:  # the whole report as one file in the thread: no truncation, no wall of messages
                client.files_upload_v2(
                    channel=run.channel,
                    thread_ts=run.thread_ts,
                    content=report,
                    filename="s3why-report.txt",
                    title="s3why full report",
                    initial_comment="The full report: every layer, every statement considered, every fix.",
                )
                return
            except SlackApiError as exc:  # e.g. files:write not granted: fall back to messages
                log.warning("file upload failed (%s); posting the report as messages", exc.response.get("error"))
        chunks = [report[i : i + 2900] for i in range(0, len(report), 2900)]
        limit = 3 if run.response_url else 20  # a response_url takes five posts at most
        for n, chunk in enumerate(chunks[:limit]):
            more = n == limit - 1 and len(chunks) > limit
            text = f"```{chunk.replace('```', chr(39) * 3)}```" + (
                "\n_… truncated: run `s3why diagnose`_" if more else ""
            )
            show(run, None, chunk[:200], [_mrkdwn(text)])

    app.action("s3why_full_report")(ack=ack_action, lazy=[on_full_report])

    def ask_principal(
        ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        _, run = load_run_here(body, action["value"])
        if run is None:
            return
        user = clicker(body)
        if not may_continue(run, user):  # the form would replace the text and the principal of their run
            log.info("tell-s3why form refused: its clicker neither asked nor approves in this account")
            client.chat_postEphemeral(channel=run.channel, user=user, text=_NOT_YOURS.format(what="text or principal"))
            return
        client.views_open(trigger_id=body["trigger_id"], view=_modal(run.channel, run.thread_ts or None, run.text, run))

    app.action("s3why_ask_principal")(ask_principal)

    # --- approvals ---------------------------------------------------------------------------------------
    group_cache: dict[str, tuple[float, set[str]]] = {}

    def group_members(group: str) -> set[str]:
        """Members of a Slack user group (approvers may be groups), cached for a minute."""
        hit = group_cache.get(group)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            members = set(client.usergroups_users_list(usergroup=group).get("users") or [])
        except SlackApiError as exc:
            log.warning("cannot list user group %s (%s): its members cannot approve", group, exc.response.get("error"))
            members = set()
        group_cache[group] = (time.monotonic() + 60, members)
        return members

    if approvals is not None and approvals.group_members is None:
        approvals.group_members = group_members

    def click_place(body: dict[str, Any]) -> tuple[str, str]:
        """Where a button was clicked: its channel, and the clicked message's thread (or the message itself)."""
        message = body.get("message") or {}
        return (body.get("channel") or {}).get("id", ""), str(message.get("thread_ts") or message.get("ts") or "")

    def decide(body: dict[str, Any], action: dict[str, Any], verb: str) -> None:
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id", "")
        if approvals is None:
            client.chat_postEphemeral(channel=channel, user=user, text="Approvals are not enabled for this s3why.")
            return
        try:
            outcome = getattr(approvals, verb)(action["value"], user, where=click_place(body))
        except redis.RedisError:  # Approvals raises it only before any AWS write
            log.warning("redis unavailable: %s refused", verb)
            client.chat_postEphemeral(
                channel=channel, user=user, text="s3why cannot reach its state store right now: nothing was changed."
            )
            return
        if outcome.private:
            client.chat_postEphemeral(channel=channel, user=user, text=mrkdwn(outcome.message, mentions=(user,)))
            return
        post_outcome(outcome, channel, (user,))
        if verb in ("approve", "reject") and outcome.proposal is not None:
            settle_buttons(body, outcome.proposal, user)

    def settle_buttons(body: dict[str, Any], proposal: Proposal, user: str) -> None:
        """Once a proposal is decided, its Approve/Reject buttons in the answer give way to one line saying what
        happened (a stale button could only be refused; Slack keeps the rest of the message as it was)."""
        if proposal.state == "proposed":  # asked for, not decided (a fix nobody had asked for): the buttons stay
            return
        message = body.get("message") or {}
        blocks = message.get("blocks") or []
        block_id = f"s3why_fix_{proposal.id[:12]}"
        if not message.get("ts") or not any(b.get("block_id") == block_id for b in blocks):
            return
        done = {
            "applied": "applied",
            "dry-run": "checked (dry run)",
            "failed": "not applied",
            "rejected": "rejected",
        }.get(proposal.state, proposal.state)
        line = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Fix {done} (<@{user}>): see the thread."}]}
        new_blocks = [line if b.get("block_id") == block_id else b for b in blocks]
        try:
            client.chat_update(
                channel=(body.get("channel") or {}).get("id", ""),
                ts=str(message["ts"]),
                text=str(message.get("text") or "s3why"),
                blocks=new_blocks,
            )
        except SlackApiError as exc:
            log.warning("could not replace the approval buttons (%s)", exc.response.get("error"))

    def post_outcome(outcome: Outcome, channel: str, mentions: tuple[str, ...]) -> None:
        """In the proposal's thread (`mentions`: the user ids s3why itself names in the message)."""
        p = outcome.proposal
        where, thread = (p.channel, p.thread_ts) if p is not None else (channel, None)
        if guarded_reports() and outcome.diff:  # the lines written, never the policy's other lines around them
            changed = [line for line in outcome.diff.splitlines() if line[:1] in ("+", "-", "@")]
            outcome = replace(outcome, diff="\n".join(changed))
        client.chat_postMessage(
            channel=where,
            thread_ts=thread,
            text=mrkdwn(outcome.message, mentions=mentions)[:3000],
            blocks=outcome_blocks(outcome, p.run_id if p is not None else None, mentions),
        )

    def reconcile_forever(stop: threading.Event) -> None:
        """Settle proposals a store failure left in flight, once the store answers again (every replica may run
        it: each move is atomic, so one replica posts)."""
        while not stop.wait(reconcile_seconds):
            try:
                for outcome in approvals.reconcile() if approvals is not None else []:
                    intent = (outcome.proposal.intent if outcome.proposal else None) or {}
                    post_outcome(outcome, "", (str(intent.get("approver") or ""),))
            except redis.RedisError:
                continue  # still down: next round
            except Exception as exc:  # never let the thread die, never a traceback in the log
                log.warning("reconcile failed (%s); trying again later", type(exc).__name__)

    def decider(verb: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
        def handle(body: dict[str, Any], action: dict[str, Any]) -> None:  # Bolt injects by parameter name
            decide(body, action, verb)

        return handle

    for verb in ("approve", "reject", "rollback"):
        app.action(f"s3why_{verb}")(ack=ack_action, lazy=[decider(verb)])
    if approvals is not None:
        threading.Thread(
            target=reconcile_forever, args=(threading.Event(),), name="s3why-reconcile", daemon=True
        ).start()
    return app


@dataclass
class Form:
    """What the /s3why form says, and what is wrong with it (block id -> message)."""

    parsed: ParseResult
    principal: str | None
    account: str | None
    context: dict[str, list[str]]
    errors: dict[str, str]


def _object(value: Any) -> dict[str, Any]:
    """A payload part that should be a JSON object: itself, or empty when a forged payload gave anything else."""
    return value if isinstance(value, dict) else {}


def form_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The form's private metadata (s3why's own JSON object): empty when it is missing or not such an object."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return _object(meta)


def read_form(view: dict[str, Any]) -> Form:
    values = _object(_object(view.get("state")).get("values"))

    def value(block_id: str) -> str:
        text = _object(_object(values.get(block_id)).get("value")).get("value")
        return text.strip() if isinstance(text, str) else ""

    errors: dict[str, str] = {}
    parsed = parse_text(value("error"))
    if not parsed.requests:
        errors["error"] = "s3why found no AWS error in this text. Paste the whole message, as the tool printed it."
    principal = value("principal") or None
    if principal is not None and (Arn.parse(principal) is None or not principal.startswith("arn:")):
        errors["principal"] = "Give an ARN, e.g. arn:aws:iam::111122223333:role/app or an assumed-role session ARN."
    account = value("account") or None
    if account is not None and not re.fullmatch(r"\d{12}", account):
        errors["account"] = "An AWS account ID is 12 digits."
    context: dict[str, list[str]] = {}
    for n, line in enumerate(value("context").splitlines(), 1):
        if not line.strip():
            continue
        if "=" not in line:
            errors["context"] = f"Line {n}: write KEY=VALUE, e.g. aws:SourceVpce=vpce-1a2b3c4d."
            break
        k, v = line.split("=", 1)
        context.setdefault(k.strip(), []).append(v.strip())
    return Form(parsed, principal, account, context, errors)


def _modal(channel: str, thread_ts: str | None, text: str, known: Run | None = None) -> dict[str, Any]:
    """The /s3why form; from a "tell s3why" button it comes filled with what the run already knew."""
    context_text = "\n".join(f"{k}={v}" for k, vs in ((known.context or {}) if known else {}).items() for v in vs)

    def field(
        block_id: str, label: str, *, multiline: bool = False, initial: str = "", optional: bool = True
    ) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
        if initial:
            element["initial_value"] = initial[:2900]
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": element,
        }

    return {
        "type": "modal",
        "callback_id": "s3why_modal",
        "private_metadata": json.dumps(
            {
                "channel": channel,
                "thread_ts": thread_ts,
                "requesters": sorted({r for r in [known.requester, *known.requesters] if r}) if known else [],
            }
        ),
        "title": {"type": "plain_text", "text": "s3why"},
        "submit": {"type": "plain_text", "text": "Diagnose"},
        "blocks": [
            field("error", "The error", multiline=True, initial=text, optional=False),
            field(
                "principal", "Who made the call (role, user or session ARN)", initial=(known and known.principal) or ""
            ),
            field("account", "AWS account (when the text does not say)", initial=(known and known.account) or ""),
            field(
                "context",
                "Request context, one KEY=VALUE a line (e.g. aws:SourceVpce=vpce-1a2b)",
                multiline=True,
                initial=context_text,
            ),
        ],
    }
