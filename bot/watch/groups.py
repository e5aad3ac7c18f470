"""What every `s3why watch` process shares, in Redis: handled events, groups and their totals, who posts.

Keys (under `prefix`, default `s3why:watch:`):
- `seen:{eventID}` — the event is counted (7 days): set in the same atomic step as the group's totals, so a
  redelivered event is never counted twice and a process that dies before counting loses nothing;
- `cur:{cause}` -> the current group of a cause; expires `window` after the cause was last seen, so a cause seen
  again after a quiet window starts a new group (a new message);
- `grp:{group}` — hash: cause, channel, ts (the message), count, first, last, posted/updated counts, tally ts,
  proposals, fix state; `ses:{group}` / `obj:{group}` — distinct sessions and objects (sets);
- `post:{group}` — who posts the group's message (SET NX, expires so a dead poster's claim passes on);
- `upd:{group}` — who updates the thread now (SET NX, expires after the update interval);
- `dirty` — groups with events not yet shown in their thread; `diag:{request}` — a shared diagnosis summary;
- `rate:{channel}` — the per-channel post slot (bot/watch/slack_out.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import redis

SEEN_TTL_SECONDS = 7 * 24 * 3600
GROUP_TTL_SECONDS = 8 * 24 * 3600

# KEYS: seen, grp, ses, obj, dirty; ARGV: group id, event time, session, object ("" none), seen ttl, group ttl.
_COUNT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[5]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'count', 1)
local first = redis.call('HGET', KEYS[2], 'first')
if (not first) or ARGV[2] < first then redis.call('HSET', KEYS[2], 'first', ARGV[2]) end
local last = redis.call('HGET', KEYS[2], 'last')
if (not last) or ARGV[2] > last then redis.call('HSET', KEYS[2], 'last', ARGV[2]) end
redis.call('SADD', KEYS[3], ARGV[3])
if ARGV[4] ~= '' then redis.call('SADD', KEYS[4], ARGV[4]) end
redis.call('SADD', KEYS[5], ARGV[1])
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return 1
"""


@dataclass(frozen=True, slots=True)
class Cause:
    """What makes events one group (CONTRACT): the principal (a role, not its session), the action, the bucket
    and the workload's prefix, and the layer and statement the diagnosis names."""

    caller: str
    action: str
    bucket: str
    prefix: str
    layer: str
    statement: str
    account: str = ""

    @property
    def id(self) -> str:
        raw = json.dumps([self.caller, self.action, self.bucket, self.prefix, self.layer, self.statement])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, str]:
        return {
            "caller": self.caller,
            "action": self.action,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "layer": self.layer,
            "statement": self.statement,
            "account": self.account,
        }


@dataclass(frozen=True, slots=True)
class Totals:
    count: int
    sessions: int
    objects: int
    first: str
    last: str


class GroupStore:
    def __init__(self, client: redis.Redis, prefix: str = "s3why:watch:", window_seconds: int = 3600) -> None:
        self.r = client
        self.prefix = prefix
        self.window_ms = max(1, window_seconds) * 1000
        self._count = client.register_script(_COUNT)

    def k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # --- groups -----------------------------------------------------------------------------------------------
    def group_for(self, cause: Cause) -> str:
        """The current group of `cause` (a new one when none is open); keeps it open for another window."""
        cur = self.k("cur", cause.id)
        self.r.set(cur, uuid.uuid4().hex[:20], nx=True, px=self.window_ms)
        group = self.r.get(cur)
        self.r.pexpire(cur, self.window_ms)
        gid = group.decode() if isinstance(group, bytes) else str(group)
        self.r.hsetnx(self.k("grp", gid), "cause", json.dumps(cause.to_json()))
        return gid

    def count(self, group: str, *, event_id: str, event_time: str, session: str, obj: str | None) -> bool:
        """Count one event in its group, once: False when it was counted before (a redelivery)."""
        keys = [self.k("seen", event_id), self.k("grp", group), self.k("ses", group), self.k("obj", group)]
        keys.append(self.k("dirty"))
        args: list[str | int] = [group, event_time, session, obj or "", SEEN_TTL_SECONDS, GROUP_TTL_SECONDS]
        return bool(self._count(keys=keys, args=args))

    def seen(self, event_id: str) -> bool:
        return bool(self.r.exists(self.k("seen", event_id)))

    def totals(self, group: str) -> Totals:
        h = self.fields(group)
        return Totals(
            count=int(h.get("count") or 0),
            sessions=int(self.r.scard(self.k("ses", group))),
            objects=int(self.r.scard(self.k("obj", group))),
            first=h.get("first", ""),
            last=h.get("last", ""),
        )

    def fields(self, group: str) -> dict[str, str]:
        raw: dict[Any, Any] = self.r.hgetall(self.k("grp", group))
        return {_s(k): _s(v) for k, v in raw.items()}

    def set_fields(self, group: str, **values: str | int) -> None:
        self.r.hset(self.k("grp", group), mapping={k: str(v) for k, v in values.items()})

    # --- who does what ----------------------------------------------------------------------------------------
    def claim(self, what: str, group: str, owner: str, ttl_ms: int) -> bool:
        return bool(self.r.set(self.k(what, group), owner, nx=True, px=max(1, ttl_ms)))

    def release(self, what: str, group: str) -> None:
        self.r.delete(self.k(what, group))

    def dirty(self) -> list[str]:
        return sorted(_s(g) for g in self.r.smembers(self.k("dirty")))

    def clean(self, group: str) -> None:
        self.r.srem(self.k("dirty"), group)

    # --- a diagnosis shared by every process ------------------------------------------------------------------
    def cached_summary(self, request_key: str) -> dict[str, Any] | None:
        raw = self.r.get(self.k("diag", request_key))
        return json.loads(raw) if raw else None

    def cache_summary(self, request_key: str, summary: dict[str, Any], ttl_seconds: int) -> None:
        self.r.set(self.k("diag", request_key), json.dumps(summary), ex=max(1, ttl_seconds))


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
