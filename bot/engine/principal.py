"""Who makes a request, as IAM sees it, and how a Principal element names them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from bot.arn import Arn
from bot.engine.policy import PrincipalSpec

_ACCOUNT_RE = re.compile(r"^\d{12}$")
# How a request nothing signs is named where a principal is asked for (`--principal`, `s3why can`, a case's
# `principal`): `anonymous`, or `*` as a Principal element names everyone.
ANONYMOUS_NAMES = frozenset({"anonymous", "*"})


class PrincipalKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ROLE = "role"  # an IAM role (as the caller: any session of it)
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    SERVICE = "service"
    ANONYMOUS = "anonymous"


class MatchLevel(StrEnum):
    """How a Principal element named the caller; decides the same-account rules (CONTRACT: evaluation)."""

    WILDCARD = "wildcard"
    ACCOUNT = "account"
    USER = "user"
    ROLE = "role"
    SESSION = "session"
    FEDERATED = "federated"
    SERVICE = "service"
    CANONICAL = "canonical"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    arn: str | None  # the caller's ARN as given (session ARN for a session)
    account: str | None
    partition: str = "aws"
    role_arn: str | None = None  # for roles and their sessions: the role's ARN (path kept when known)
    name: str | None = None  # user name, role name, federated user name
    service: str | None = None
    canonical_id: str | None = None
    service_linked: bool = False  # a service-linked role (path /aws-service-role/): outside SCPs and RCPs

    key: str = field(default="", compare=False)  # tells principals apart in memo keys (set on creation)

    def __post_init__(self) -> None:
        key = f"{self.kind.value}|{self.arn or self.service or ''}|{self.role_arn or ''}|{self.canonical_id or ''}"
        object.__setattr__(self, "key", key)

    @property
    def principal_arn(self) -> str | None:
        """The value of `aws:PrincipalArn`: a session's role ARN, the user's ARN, the root ARN."""
        if self.kind in (PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION):
            return self.role_arn
        if self.kind is PrincipalKind.ROOT:
            return f"arn:{self.partition}:iam::{self.account}:root"
        if self.kind in (PrincipalKind.USER, PrincipalKind.FEDERATED_USER):
            return self.arn
        return None

    @property
    def has_no_identity_policies(self) -> bool:
        """An AWS service, an anonymous caller or a CloudFront origin access identity
        (`arn:aws:iam::cloudfront:user/...`): only resource-based policies can grant them (CloudFront Developer Guide,
        "Restrict access to an Amazon S3 origin")."""
        oai = self.kind is PrincipalKind.USER and self.account == "cloudfront"
        return self.kind in (PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS) or oai

    @property
    def is_iam_identity(self) -> bool:
        """An IAM user or role (session): the kinds that have identity policies and boundaries."""
        return self.kind in (PrincipalKind.USER, PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION)


def is_anonymous(text: str | None) -> bool:
    """Whether `text` names the anonymous caller (an unsigned request): only public grants apply to it."""
    return text is not None and text.strip() in ANONYMOUS_NAMES


@lru_cache(maxsize=4096)
def parse_principal(text: str) -> Principal:
    """Parse what `--principal` names: an ARN, an account id, a service principal, or `anonymous`."""
    t = text.strip()
    if t in ANONYMOUS_NAMES or not t:
        return Principal(PrincipalKind.ANONYMOUS, None, None)
    if _ACCOUNT_RE.match(t):
        return Principal(PrincipalKind.ROOT, f"arn:aws:iam::{t}:root", t)
    arn = Arn.parse(t)
    if arn is None:
        if t.endswith((".amazonaws.com", ".amazonaws.com.cn")) or "." in t:
            return Principal(PrincipalKind.SERVICE, None, None, service=t)
        return Principal(PrincipalKind.SERVICE, None, None, service=t)
    account = arn.account or None
    if arn.service == "iam":
        if arn.resource == "root":
            return Principal(PrincipalKind.ROOT, t, account, arn.partition)
        if arn.resource_type == "user":
            return Principal(PrincipalKind.USER, t, account, arn.partition, name=arn.resource.rsplit("/", 1)[-1])
        if arn.resource_type == "role":
            name = arn.resource.rsplit("/", 1)[-1]
            linked = "/aws-service-role/" in t or name.startswith("AWSServiceRoleFor")
            return Principal(
                PrincipalKind.ROLE, t, account, arn.partition, role_arn=t, name=name, service_linked=linked
            )
    if arn.service == "sts":
        if arn.is_role_session and arn.role_name_of_session:
            role = arn.role_name_of_session
            # A session ARN drops the role's path; the role ARN is rebuilt without it (pass the role ARN,
            # with its path, as --principal or aws:PrincipalArn when the path matters).
            role_arn = f"arn:{arn.partition}:iam::{arn.account}:role/{role}"
            linked = role.startswith("AWSServiceRoleFor")
            return Principal(
                PrincipalKind.ROLE_SESSION,
                t,
                account,
                arn.partition,
                role_arn=role_arn,
                name=role,
                service_linked=linked,
            )
        if arn.resource_type == "federated-user":
            return Principal(
                PrincipalKind.FEDERATED_USER, t, account, arn.partition, name=arn.resource.split("/", 1)[-1]
            )
    return Principal(PrincipalKind.USER, t, account, arn.partition, name=arn.resource.rsplit("/", 1)[-1])


def _account_of_entry(entry: str) -> str | None:
    if _ACCOUNT_RE.match(entry):
        return entry
    arn = Arn.parse(entry)
    if arn is not None and arn.service == "iam" and arn.resource == "root":
        return arn.account
    return None


def match_level(spec: PrincipalSpec, who: Principal) -> MatchLevel | None:
    """How (if at all) the Principal element names the caller.

    An exact user, session or federated-user ARN wins; then `*`; then a role ARN (any session of the role);
    then the account (which, in the same account, only delegates to the account's IAM policies).
    """
    best: MatchLevel | None = None
    if spec.wildcard:
        best = MatchLevel.WILDCARD
    if who.kind is PrincipalKind.SERVICE:
        return MatchLevel.SERVICE if who.service in spec.service else best
    if who.kind is PrincipalKind.ANONYMOUS:
        return best
    for entry in spec.aws:
        account = _account_of_entry(entry)
        if account is not None:
            if who.account == account and best is None:
                best = MatchLevel.ACCOUNT
            continue
        if who.kind is PrincipalKind.USER and entry == who.arn:
            return MatchLevel.USER
        is_role = who.kind in (PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION) and entry == who.role_arn
        if is_role and (best is None or best is MatchLevel.ACCOUNT):
            best = MatchLevel.ROLE
        if who.kind is PrincipalKind.ROLE_SESSION and entry == who.arn:
            return MatchLevel.SESSION
        if who.kind is PrincipalKind.FEDERATED_USER and entry == who.arn:
            return MatchLevel.FEDERATED
    if who.canonical_id and who.canonical_id in spec.canonical_user:
        return MatchLevel.CANONICAL
    return best


def not_principal_exempts(spec: PrincipalSpec, who: Principal) -> bool:
    """Whether a `Deny` + `NotPrincipal` element exempts the caller: every identity AWS checks must be listed.

    IAM User Guide, NotPrincipal: "When you use NotPrincipal with Deny, you must also specify the account ARN of
    the not-denied principal. Otherwise, the policy might deny access to the entire account containing the
    principal. [...] If an assumed-role user [...] is being evaluated, AWS might validate the account first, then
    the role, and then the assumed-role user." So the chain is checked link by link: the account (its id or
    root ARN) always; then the user ARN, or the role ARN and the session ARN ("you cannot use a wildcard (*) to
    mean all sessions. Principals must always name a specific session"); a federated user's ARN; a service
    principal's name. Anonymous callers are never exempt unless the element is `*`.
    """
    if spec.wildcard:
        return True
    if who.kind is PrincipalKind.SERVICE:
        return who.service in spec.service
    if who.kind is PrincipalKind.ANONYMOUS or who.account is None:
        return False
    accounts = {a for a in (_account_of_entry(e) for e in spec.aws) if a is not None}
    if who.account not in accounts:
        return False
    listed = set(spec.aws)
    if who.kind is PrincipalKind.ROOT:
        return True
    if who.kind in (PrincipalKind.USER, PrincipalKind.FEDERATED_USER):
        return who.arn in listed
    if who.kind is PrincipalKind.ROLE:
        return who.role_arn in listed
    if who.kind is PrincipalKind.ROLE_SESSION:
        return who.role_arn in listed and who.arn in listed
    return False


def with_role_path(who: Principal, principal_arn: str | None) -> Principal:
    """A role (or its session) whose `aws:PrincipalArn` names the role with a path: the role ARN as given.

    A session ARN drops the role's path (IAM User Guide, "IAM identifiers"), but a Principal element names the
    role with it, and "aws:PrincipalArn [...] for a role session [is] the ARN of the role" (global condition
    keys). The role must have the session's account and name; otherwise the caller is left as it is.
    """
    if who.kind not in (PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION) or not principal_arn:
        return who
    if principal_arn == who.role_arn:
        return who
    arn = Arn.parse(principal_arn)
    if arn is None or arn.service != "iam" or arn.resource_type != "role" or arn.account != who.account:
        return who
    if arn.resource.rsplit("/", 1)[-1] != who.name:
        return who
    linked = who.service_linked or "/aws-service-role/" in principal_arn
    return Principal(
        who.kind,
        who.arn,
        who.account,
        who.partition,
        role_arn=principal_arn,
        name=who.name,
        service_linked=linked,
    )
