"""Who a proposed change grants access to, and whether s3why may apply it at all.

A fix adds statements to one policy. For a resource policy (bucket, key, access point, VPC endpoint) the grantee is
the statement's `Principal` (narrowed by an `aws:PrincipalArn`, `aws:PrincipalAccount` or `s3:DataAccessPointArn`
condition when the principal is `*`); for an identity policy it is the role or user the policy is attached to.
The approval path refuses a change that grants to an account's root, to everyone, to a principal whose account
cannot be told (federated, canonical user), or to an account that is neither configured nor a listed member of
the organization — whatever a stored proposal says (issue 22 §1). `*` narrowed to an account (`aws:PrincipalAccount`,
or an `aws:PrincipalArn` with a wildcard after the account) reaches as far as that account's root and is refused as
one; narrowed to an organization (`aws:PrincipalOrgID`), it reaches every member account and is refused.

A grant to an AWS service principal counts for the account its `aws:SourceArn`, `aws:SourceAccount` or
`aws:SourceOwner` condition names, and without such a condition it is the confused-deputy case (the service acts
for any customer): never applied (bot/source_conditions.py).

AWS sources: IAM JSON policy elements `Principal` and `NotPrincipal` (an account id or `:root` ARN names the
whole account); global condition keys `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalOrgID`; S3 condition key
`s3:DataAccessPointArn`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from bot.approve.store import Change, Proposal
from bot.arn import Arn
from bot.source_conditions import source_accounts

_ACCOUNT_ID = re.compile(r"\d{12}")
_ARN_KEYS = {"aws:principalarn"}
_ORG_KEYS = {"aws:principalorgid"}
_ACCESS_POINT_KEYS = {"s3:dataaccesspointarn"}
_NARROWING = ("StringEquals", "ArnEquals", "ArnLike", "StringLike")
EVERYONE = "everyone (*)"


@dataclass(frozen=True)
class Grantee:
    """One principal a change grants to: as written, its account (None: cannot be told), whether it is the
    account itself (root or a bare account id)."""

    principal: str
    account: str | None
    root: bool = False

    @property
    def words(self) -> str:
        if self.principal == EVERYONE:
            return EVERYONE
        where = f"account {self.account}" if self.account else "an unknown account"
        return f"{self.principal} (the whole of {where})" if self.root else f"{self.principal} ({where})"


@dataclass(frozen=True)
class Grant:
    """One added Allow statement of one change: who gets what on which resources."""

    target: str
    where: str
    grantees: tuple[Grantee, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...]


def added_statements(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The statements of `after` that `before` does not have (compared as normalised JSON)."""
    had = {_canonical(s) for s in _statements(before)}
    return [s for s in _statements(after) if _canonical(s) not in had]


def grants(change: Change) -> list[Grant]:
    """Every Allow statement the change adds, with its grantees, actions and resources."""
    out = []
    for st in added_statements(change.before, change.document):
        if st.get("Effect") != "Allow":
            continue
        if change.where in ("principal-inline", "managed"):
            attached = Grantee(f"whoever {change.target} is attached to", change.account)
            who: tuple[Grantee, ...] = (_grantee(change.target) if change.where == "principal-inline" else attached,)
        else:
            who = tuple(_statement_grantees(st))
        out.append(Grant(change.target, change.where, who, _strings(st.get("Action")), _strings(st.get("Resource"))))
    return out


def grant_refusal(proposal: Proposal, known_accounts: Iterable[str]) -> str | None:
    """Why s3why never applies this proposal (None: its grantees are all in known accounts, none is a root)."""
    known = set(known_accounts)
    for change in proposal.changes:
        for grant in grants(change):
            for g in grant.grantees:
                if g.principal == EVERYONE:
                    return f"the change to {change.target} grants access to everyone: s3why never applies that"
                if g.account is None and g.root:
                    return (
                        f"the change to {change.target} grants to {g.principal}, every account in it and their roots "
                        "included: s3why never applies that"
                    )
                if g.account is None:
                    return (
                        f"the change to {change.target} grants to {g.principal}, whose account s3why cannot tell: "
                        "s3why never applies that"
                    )
                if g.account not in known:
                    return (
                        f"the change to {change.target} grants to {g.principal} in account {g.account}, which is "
                        "neither configured nor a listed member of the organization: s3why never applies that"
                    )
                if g.root:
                    return (
                        f"the change to {change.target} grants to {g.principal}: as far as the root of account "
                        f"{g.account} (every principal there): s3why never applies that"
                    )
    return None


# The calls that make a principal into a role (AWS STS API Reference): a trust statement allowing any of them admits
# its principals to whatever the role's policies — and any resource policy naming the role — grant.
_ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml")


def role_grantees(proposal: Proposal) -> set[str]:
    """The roles (ARNs) whoever can become gets what the proposal grants: every role a grant names (a resource
    policy's principal, an inline policy's role) and, for a change to a policy attached to the diagnosed principal
    (inline or managed), that principal's role."""
    out: set[str] = set()
    for change in proposal.changes:
        for grant in grants(change):
            out |= {g.principal for g in grant.grantees if g.account and _role_arn(g.principal)}
        if change.where in ("principal-inline", "managed"):
            principal = str(proposal.request.get("principal_arn") or proposal.request.get("principal") or "")
            role = _role_arn(principal)
            out |= {role} if role else set()
    return {r for r in (_role_arn(x) for x in out) if r}


def trust_refusal(role_arn: str, trust: dict[str, Any] | None, known_accounts: Iterable[str]) -> str | None:
    """Why a grant to this role is a grant outside the known accounts (None: only principals of known accounts,
    their roots included — the root delegates to that account's IAM —, AWS services and identity providers of known
    accounts can become it). `trust` None: the trust policy could not be read (refused: fail closed)."""
    where = Arn.parse(role_arn)
    name = f"role {where.resource.rsplit('/', 1)[-1]} in account {where.account}" if where else f"role {role_arn}"
    if trust is None:
        return f"who can become {name} could not be read (its trust policy): s3why never applies a grant to it"
    known = set(known_accounts)
    for st in _statements(trust):
        if st.get("Effect") != "Allow" or not _assumes(st):
            continue
        for g in _trustees(st):
            if g.principal == EVERYONE or g.account is None or g.account not in known:
                who = g.words if g.principal == EVERYONE or g.account else f"{g.principal} (an unknown account)"
                return (
                    f"{name} can be assumed by {who}, outside the accounts s3why knows: a grant to the role is a grant "
                    "to them, s3why never applies that"
                )
    return None


def trusted_roles(trust: dict[str, Any] | None) -> set[str]:
    """The roles (ARNs) a trust policy lets become its role: whoever can become one of them can become this one
    too, so a grant to the role reaches them (a role chain)."""
    out: set[str] = set()
    for st in _statements(trust):
        if st.get("Effect") == "Allow" and _assumes(st):
            out |= {r for g in _trustees(st) if g.account for r in [_role_arn(g.principal)] if r}
    return out


def _assumes(st: dict[str, Any]) -> bool:
    if "NotAction" in st:
        return not any(fnmatchcase(a, n.lower()) for a in _ASSUME_ACTIONS for n in _strings(st.get("NotAction")))
    return any(fnmatchcase(a, n.lower()) for a in _ASSUME_ACTIONS for n in _strings(st.get("Action")))


def _trustees(st: dict[str, Any]) -> list[Grantee]:
    """Who a trust statement lets become the role. AWS services (ec2.amazonaws.com) run the account's own code;
    an identity provider is its account's (`arn:aws:iam::ACCOUNT:saml-provider/...`); a public one
    (`accounts.google.com`, `cognito-identity.amazonaws.com`) belongs to no account s3why can tell."""
    if "NotPrincipal" in st:
        return [Grantee(EVERYONE, None)]
    principal = st.get("Principal")
    condition = st.get("Condition") or {}
    if principal == "*":
        return _narrowed(condition)
    if not isinstance(principal, dict):
        return [Grantee(EVERYONE, None)] if principal is not None else []
    out: list[Grantee] = []
    for kind, raw in principal.items():
        for value in _strings(raw):
            if kind == "Service":
                continue
            if kind == "AWS":
                out += _narrowed(condition) if value == "*" else [_grantee(value)]
            elif kind == "Federated":
                out.append(_federated(value, condition))
            else:
                out.append(Grantee(f"{kind}:{value}", None))
    return out  # a root of a known account delegates to that account's IAM: not refused here


def _federated(provider: str, condition: dict[str, Any]) -> Grantee:
    """An identity provider of an account. An OpenID Connect provider (GitHub Actions, EKS, ...) vouches for anyone
    it issues tokens to — every GitHub repository, every cluster's service account — unless the trust statement
    names the subject: without a condition on `PROVIDER:sub` (other than a bare `*`) it is anyone (IAM User Guide,
    "Creating a role for web identity or OpenID Connect federation")."""
    parsed = Arn.parse(provider)
    if parsed is None or not parsed.resource.startswith("oidc-provider/"):
        return Grantee(provider, _account_of(provider))
    subject = f"{parsed.resource.removeprefix('oidc-provider/').lower()}:sub"
    for block in condition.values():
        values = [v for k, raw in (block or {}).items() if str(k).lower() == subject for v in _strings(raw)]
        if values and all(v.strip("*") for v in values):
            return Grantee(provider, _account_of(provider))
    return Grantee(f"{provider} for any subject (no condition on {subject})", None)


def _role_arn(value: str) -> str | None:
    """The role ARN of a role or of a role session ARN (the path kept for a role ARN)."""
    parsed = Arn.parse(value)
    if parsed is None or not parsed.account:
        return None
    if parsed.service == "iam" and parsed.resource.startswith("role/"):
        return value
    if parsed.service == "sts" and parsed.resource.startswith("assumed-role/"):
        parts = parsed.resource.split("/")
        return f"arn:{parsed.partition}:iam::{parsed.account}:role/{parts[1]}" if len(parts) >= 2 else None
    return None


def _statement_grantees(st: dict[str, Any]) -> list[Grantee]:
    if "NotPrincipal" in st:  # Allow with NotPrincipal: everyone but a few
        return [Grantee(EVERYONE, None)]
    principal = st.get("Principal")
    values: list[str] = []
    out_services: list[Grantee] = []
    if principal == "*":
        values = ["*"]
    elif isinstance(principal, dict):
        for kind, raw in principal.items():
            if kind == "Service":  # acts for whichever account its source conditions name (bot/source_conditions)
                out_services += _service_grantees(_strings(raw), st)
                continue
            if kind != "AWS":
                return [Grantee(f"{kind}:{v}", None) for v in _strings(raw)]
            values += list(_strings(raw))
    else:
        return [Grantee(EVERYONE, None)] if principal is not None else []
    out: list[Grantee] = list(out_services)
    for value in values:
        out += _narrowed(st.get("Condition") or {}) if value == "*" else [_grantee(value)]
    return out


def _service_grantees(services: tuple[str, ...], st: dict[str, Any]) -> list[Grantee]:
    """A service principal: one grantee per account its source conditions name; without such a condition the
    service acts for any customer (the confused-deputy case): a grantee whose account cannot be told."""
    accounts = source_accounts(st)
    out: list[Grantee] = []
    for service in services:
        if not accounts:
            out.append(Grantee(f"{service} acting for any customer (no aws:SourceArn or aws:SourceAccount)", None))
        out += [Grantee(f"{service} acting for", account) for account in accounts]
    return out


def _narrowed(condition: dict[str, Any]) -> list[Grantee]:
    """Principal `*`: who a narrowing condition lets in; everyone when no condition narrows it. Conditions are ANDed,
    so the narrowest kind present bounds who gets in: named principals, then access points, then accounts, then an
    organization. `*` narrowed to an account (`aws:PrincipalAccount`) admits every principal of it — the reach of a
    grant to its root, and refused as one —; narrowed to an organization (`aws:PrincipalOrgID`), every principal of
    every member account."""
    found: dict[str, list[str]] = {}
    for operator in _NARROWING:
        for key, raw in (condition.get(operator) or {}).items():
            found.setdefault(key.lower(), []).extend(_strings(raw))
    arns = [v for k in _ARN_KEYS for v in found.get(k, [])]
    if arns:
        return [_grantee(v) for v in arns]
    points = [v for k in _ACCESS_POINT_KEYS for v in found.get(k, [])]
    if points:
        return [Grantee(f"access point {v}", _account_of(v)) for v in points]
    if found.get("aws:principalaccount"):
        return [_whole_account(v) for v in found["aws:principalaccount"]]
    if found.get("s3:dataaccesspointaccount"):
        accounts = found["s3:dataaccesspointaccount"]
        return [Grantee(f"any access point of {v}", v if _ACCOUNT_ID.fullmatch(v) else None) for v in accounts]
    orgs = [v for k in _ORG_KEYS for v in found.get(k, [])]
    if orgs:
        return [Grantee(f"every principal of organization {v}", None, root=True) for v in orgs]
    return [Grantee(EVERYONE, None)]


def _whole_account(account: str) -> Grantee:
    if not _ACCOUNT_ID.fullmatch(account):
        return Grantee(f"any principal of {account}", None)
    return Grantee(f"any principal of {account}", account, root=True)


def _grantee(value: str) -> Grantee:
    """One principal as written. An ARN with a wildcard after its account (`arn:aws:iam::ACCOUNT:*`,
    `...:role/*`, as an `aws:PrincipalArn` under `ArnLike` is read) matches principals s3why cannot name — nor read
    the trust policies of —: it counts as the whole account, like its root."""
    if value == "*":
        return Grantee(EVERYONE, None)
    if _ACCOUNT_ID.fullmatch(value):
        return Grantee(value, value, root=True)
    parsed = Arn.parse(value)
    if parsed is None or not parsed.account or "*" in parsed.account or "?" in parsed.account:
        return Grantee(value, None)
    wildcard = "*" in parsed.resource or "?" in parsed.resource
    root = wildcard or (parsed.service == "iam" and parsed.resource == "root")
    return Grantee(value, parsed.account, root=root)


def _account_of(arn: str) -> str | None:
    parsed = Arn.parse(arn)
    return parsed.account if parsed is not None and parsed.account and "*" not in parsed.account else None


def _statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    return [s for s in items if isinstance(s, dict)]


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _canonical(statement: dict[str, Any]) -> str:
    return json.dumps(statement, sort_keys=True, separators=(",", ":"))


POLICY_WORDS = {
    "bucket": "bucket policy",
    "key": "key policy",
    "principal-inline": "inline policy",
    "managed": "managed policy",
    "vpce": "VPC endpoint policy",
    "access-point": "access point policy",
}


def change_lines(proposal: Proposal) -> list[str]:
    """What approving the proposal changes, one line a grant: the target policy and its account, the grantee and
    its account, the actions and the resources (plain text: the caller escapes it for where it lands)."""
    lines = []
    for change in proposal.changes:
        policy = f"{POLICY_WORDS.get(change.where, change.where)} of {change.target} (account {change.account})"
        granted = grants(change)
        if not granted:
            lines.append(f"{policy}: removes or narrows statements, grants nothing new")
        for g in granted:
            who = ", ".join(x.words for x in g.grantees) or "nobody new"
            lines.append(f"{policy}: {who} gets {', '.join(g.actions)} on {', '.join(g.resources) or '(any)'}")
    return lines


def scope_words(proposal: Proposal) -> str:
    """The reach chosen for the fix (the scope select), or that it is the fix's own."""
    scope = proposal.request.get("scope")
    return f"scope: {scope}" if scope else "scope: the fix's default"
