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
- `rate:{channel}` — the per-channel post slot (bot/watch/slack_out.py);
- `shapes:{source}` — the distinct requests (caller, operation, bucket, key prefix) a source opened this window: a
  source past its budget opens no more groups (`GroupStore.admit`, bounded flood).
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

# One event, in one round trip. KEYS: cur (the cause's open group), seen (the event id), dirty.
# ARGV: a new group id, window (ms), the cause (JSON), the key prefix, event time, session, object ("" none),
# seen TTL, group TTL. An id counted before changes nothing (no group opened or kept open, whatever the event now
# says): its group is returned. Otherwise the open group of the cause (or a new one), kept open for another window,
# with the event counted in it. Returns {group, counted (0/1), ts, fix_applied_at}.
_EVENT = """
local prev = redis.call('GET', KEYS[2])
if prev then
  local p = redis.call('HMGET', ARGV[4] .. 'grp:' .. prev, 'ts', 'fix_applied_at')
  return {prev, 0, p[1] or '', p[2] or ''}
end
local g = redis.call('GET', KEYS[1])
if not g then
  g = ARGV[1]
  redis.call('SET', KEYS[1], g, 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local grp, ses, obj = ARGV[4] .. 'grp:' .. g, ARGV[4] .. 'ses:' .. g, ARGV[4] .. 'obj:' .. g
redis.call('HSETNX', grp, 'cause', ARGV[3])
local counted = 0
if redis.call('SET', KEYS[2], g, 'NX', 'EX', ARGV[8]) then
  counted = 1
  redis.call('HINCRBY', grp, 'count', 1)
  local first = redis.call('HGET', grp, 'first')
  if (not first) or ARGV[5] < first then redis.call('HSET', grp, 'first', ARGV[5]) end
  local last = redis.call('HGET', grp, 'last')
  if (not last) or ARGV[5] > last then redis.call('HSET', grp, 'last', ARGV[5]) end
  redis.call('SADD', ses, ARGV[6])
  if ARGV[7] ~= '' then redis.call('SADD', obj, ARGV[7]) end
  redis.call('SADD', KEYS[3], g)
  redis.call('EXPIRE', grp, ARGV[9])
  redis.call('EXPIRE', ses, ARGV[9])
  redis.call('EXPIRE', obj, ARGV[9])
end
local f = redis.call('HMGET', grp, 'ts', 'fix_applied_at')
return {g, counted, f[1] or '', f[2] or ''}
"""


# A request shape, admitted for every source it comes from or for none. KEYS: the sources' `shapes:` sets; ARGV: the
# shape, the window (ms), then one budget per key. A shape a source admitted before stays admitted (its events go on
# being counted); a new one only while every source is under its budget. Returns 1 (admitted) or 0.
_ADMIT = """
local fresh = {}
for i, key in ipairs(KEYS) do
  if redis.call('SISMEMBER', key, ARGV[1]) == 0 then
    if redis.call('SCARD', key) >= tonumber(ARGV[i + 2]) then return 0 end
    fresh[#fresh + 1] = key
  end
end
for _, key in ipairs(fresh) do
  redis.call('SADD', key, ARGV[1])
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Counted:
    group: str
    new: bool  # False: the event was counted before (a redelivery)
    ts: str  # the group's message, "" until it is posted
    fix_applied_at: str  # "" unless a fix proposed in its thread was applied


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
        self._event = client.register_script(_EVENT)
        self._admit = client.register_script(_ADMIT)

    def k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # --- groups -----------------------------------------------------------------------------------------------
    def count(self, cause: Cause, *, event_id: str, event_time: str, session: str, obj: str | None) -> Counted:
        """Count one event in the open group of its cause (a new group when none is open), once."""
        keys = [self.k("cur", cause.id), self.k("seen", event_id), self.k("dirty")]
        args: list[str | int] = [uuid.uuid4().hex[:20], self.window_ms, json.dumps(cause.to_json()), self.prefix]
        args += [event_time, session, obj or "", SEEN_TTL_SECONDS, GROUP_TTL_SECONDS]
        group, new, ts, applied = self._event(keys=keys, args=args)
        return Counted(_s(group), bool(new), _s(ts), _s(applied))

    def admit(self, shape: str, budgets: dict[str, int]) -> bool:
        """Whether a request of this shape may open groups: each source (key of `budgets`) opens at most its budget
        of distinct shapes in a group window; a shape admitted before stays admitted."""
        keys = [self.k("shapes", hashlib.sha256(source.encode()).hexdigest()[:32]) for source in budgets]
        return bool(self._admit(keys=keys, args=[shape, self.window_ms, *budgets.values()]))

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

    def mark_dirty(self, group: str) -> None:
        self.r.sadd(self.k("dirty"), group)

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
