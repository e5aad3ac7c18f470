"""Branches: request properties the text cannot tell that decide the outcome, shown without being asked.

A pasted error rarely says whether the request came over HTTPS, through which VPC endpoint, from which IP, or
with which ACL and encryption headers. When a policy in force has a condition on such a key, s3why evaluates
the request with each value that condition distinguishes (and with the key absent) and, when the decision
changes, says so: "denied by DenyHttp if the request was sent over plain HTTP; allowed over HTTPS". Keys the
person gave (`--context`) are facts, not branches.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.diagnose.evidence import ANY_VALUE, evaluate_all, is_null_check, possible_on_the_path, present_value
from bot.diagnose.options import DiagnoseOptions
from bot.engine import EvaluationResult, Policy
from bot.engine.context import always_set, set_by_aws

if TYPE_CHECKING:
    from bot.diagnose.layers.base import Authorization

# Keys AWS sets from how the request was sent, which an error message never shows.
UNSEEN_KEYS: tuple[str, ...] = (
    "aws:SecureTransport",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:TlsVersion",
    "s3:signatureversion",
    "s3:authType",
)
_BOOLEAN = frozenset({"aws:securetransport"})
_OUTSIDE_IP = "203.0.113.77"  # TEST-NET-3 (RFC 5737): an address no policy names
_MAX_VALUES = 3


def _policies(auth: Authorization) -> list[Policy]:
    p = auth.policies
    out: list[Policy] = [*p.identity]
    for single in (p.resource, p.boundary, p.session, p.vpc_endpoint):
        if single is not None:
            out.append(single)
    for levels in (p.scps or (), p.rcps or ()):
        for level in levels:
            out.extend(level)
    return out


def _candidates(auth: Authorization) -> dict[str, list[str]]:
    """Unseen key (as AWS spells it) -> the values the policies' conditions name for the request's actions."""
    wanted = {k.lower(): k for k in UNSEEN_KEYS}
    found: dict[str, list[str]] = {}
    for policy in _policies(auth):
        for action in auth.actions:
            for st in policy.statements_for_action(action):
                for c in st.conditions:
                    key = wanted.get(c.key_lower)
                    if key is None:
                        continue
                    values = found.setdefault(key, [])
                    if is_null_check(c.operator):  # "true"/"false" test presence: never a value of the key
                        named = [present_value(key)]
                    else:
                        named = [v for v in c.values if "*" not in v and "$" not in v]
                    values.extend(v for v in named if v not in values)
    return found


def _values_for(key: str, named: list[str]) -> list[str | None]:
    if key.lower() in _BOOLEAN:
        return ["true", "false"]
    values: list[str | None] = []
    # A value a condition names is a present value too: "(any value)" only when presence alone was tested.
    named = [v for v in named if v != ANY_VALUE] or named
    for v in named[:_MAX_VALUES]:
        if key.lower() in ("aws:sourceip", "aws:vpcsourceip"):
            try:
                v = str(ipaddress.ip_network(v, strict=False).network_address)
            except ValueError:
                continue
        values.append(v)
    if key.lower() in ("aws:sourceip", "aws:vpcsourceip"):
        values.append(_OUTSIDE_IP)
    values.append(None)  # the key absent: no endpoint, no header
    return list(dict.fromkeys(values))


def _decided_by(result: EvaluationResult) -> tuple[str | None, str | None]:
    """(the statement that denied, in words; the layer id it belongs to)."""
    for layer in result.layers:
        if layer.verdict.value in ("deny", "no-allow"):
            if not layer.statements:
                return None, layer.layer.value
            ref = layer.statements[0]
            return f"{ref.sid or f'statement {ref.index}'} in {ref.policy}", layer.layer.value
    return None, None


def branches(auth: Authorization, options: DiagnoseOptions) -> list[dict[str, Any]]:
    """For each unseen key that changes the decision: {key, assumed, outcomes: [{value, decision, by}]}."""
    given = {k.lower() for k in options.context}
    out: list[dict[str, Any]] = []
    for key, named in sorted(_candidates(auth).items(), key=lambda kv: UNSEEN_KEYS.index(kv[0])):
        if key.lower() in given:
            continue
        outcomes = []
        assumed = next((v[0] for k, v in auth.context.items() if k.lower() == key.lower() and v), None)
        for value in _values_for(key, named):
            ctx = {k: v for k, v in auth.context.items() if k.lower() != key.lower()}
            if not possible_on_the_path(key, value, ctx):
                continue  # e.g. an aws:SourceIp value for a request the text shows came through an endpoint
            if value is not None:
                ctx[key] = (value,)
            if value == assumed and auth.route is None and all(c.resource == auth.resource for c in auth.checks):
                result = auth.main  # the value s3why assumed: already evaluated
            else:
                result = evaluate_all(auth.who, auth.actions, auth.resource, auth.owner, ctx, auth.policies)
            by, layer = _decided_by(result) if result.decision.value != "allow" else (None, None)
            outcome = {"value": value, "decision": result.decision.value, "by": by, "layer": layer}
            outcomes.append({k: v for k, v in outcome.items() if v is not None or k == "value"})
        if len({o["decision"] for o in outcomes}) > 1:
            out.append({"key": key, "assumed": assumed, "outcomes": outcomes})
    return out


def when(key: str, value: str | None) -> str:
    if key == "s3why:new-policy-public":
        return "if the new policy document is public" if value == "true" else "if it is not public"
    if key.lower() == "aws:securetransport":
        return "over HTTPS" if value == "true" else "over plain HTTP"
    if value is None:
        return f"without {key}"
    if value == ANY_VALUE:
        return f"with {key} set (any value)"
    return f"with {key} = {value}"


def branch_lines(found: list[dict[str, Any]]) -> list[str]:
    """Each branch in words: "denied by DenyHttp in bucket policy of X over plain HTTP; allowed over HTTPS"."""
    lines = []
    for b in found:
        parts = []
        for o in sorted(b["outcomes"], key=lambda o: o["decision"] == "allow"):  # the denials first
            verdict = "allowed" if o["decision"] == "allow" else "denied" + (f" by {o['by']}" if o.get("by") else "")
            parts.append(f"{verdict} {when(b['key'], o['value'])}")
        lines.append(f"{b['key']} (the text cannot tell): " + "; ".join(parts))
    return lines


Outcomes = list[tuple[str | None, str]]  # (a value of the key, None for absent; the decision with it)


def split_alternatives(alternatives: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Outcomes]]:
    """A cause's alternatives (`evidence["alternatives"]`: {context: {key: value}, decision}) split into those on
    keys the request can change, as they are, and, per key AWS sets from the resource, its account, the Region or
    the time (bot/engine/context.py:set_by_aws, the one list fixes use too), its values and where each leads.
    "If aws:ResourceAccount were X" is no change anyone can make to the request: said as what the outcome depends
    on. A key in every request's context is never absent, so its "absent" outcome is dropped (it adds nothing)."""
    request_side: list[dict[str, Any]] = []
    fixed: dict[str, Outcomes] = {}
    for alt in alternatives:
        ((key, value),) = alt["context"].items()
        if set_by_aws(key) is None:
            request_side.append(alt)
        elif value is not None or not always_set(key):
            fixed.setdefault(key, []).append((value, str(alt["decision"])))
    return request_side, fixed


def depends_on_line(
    key: str,
    outcomes: Outcomes,
    *,
    shown: Callable[[str | None], str],
    name: Callable[[str], str] = str,
    decision: Callable[[str], str] = str,
) -> str:
    """One line for a key the sender cannot set: "aws:RequestedRegion is the Region S3 serves the bucket in, not
    something the request can change: allow if it is eu-west-1". `shown`, `name`, `decision`: how the renderer
    writes a value, the key and a decision."""
    parts = dict.fromkeys(f"{decision(d)} if it is {shown(v)}" for v, d in outcomes)
    return f"{name(key)} is {set_by_aws(key)}, not something the request can change: " + "; ".join(parts)
