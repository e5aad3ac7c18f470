"""The request context AWS builds: the keys it always sets from the caller and the resource, plus given ones.

IAM User Guide, "AWS global condition context keys" decides which keys are present for which request:
- aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType: "This key is included in the request context for
  all signed requests"; the type is `Account` (root), `User`, `FederatedUser`, `AssumedRole` or `Anonymous`.
- aws:PrincipalIsAWSService: "This key is present in the request context for all signed API requests that use
  AWS credentials" -- `true` only when an AWS service principal signs, so `false` for every IAM principal.
- aws:PrincipalServiceName: present when an AWS service principal makes the request.
- aws:userid: the account id for the root user, `account:caller-specified-name` for a federated user,
  `anonymous` for anonymous requests; a user's or role's unique id is not in its ARN, so it is not derived.
- aws:RequestedRegion, aws:CurrentTime, aws:EpochTime: "This key is always included in the request context"
  (request_keys).
- aws:ResourceAccount; and s3:ResourceAccount, which S3 sets on every request (S3 service authorization
  reference: "Filters access by the resource owner AWS account ID").
Keys the caller derives from account data (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:ResourceOrgID,
aws:ResourceOrgPaths, aws:VpceAccount, aws:VpceOrgID) come in `derived`; keys given explicitly win over both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from bot.arn import Arn
from bot.engine.conditions import RequestValues
from bot.engine.principal import Principal, PrincipalKind

PRINCIPAL_TYPES: dict[PrincipalKind, str] = {
    PrincipalKind.ROOT: "Account",
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE: "AssumedRole",
    PrincipalKind.ROLE_SESSION: "AssumedRole",
    PrincipalKind.FEDERATED_USER: "FederatedUser",
    PrincipalKind.ANONYMOUS: "Anonymous",
}


# Condition keys whose value the sender cannot choose (IAM User Guide, "AWS global condition context keys"; S3
# Service Authorization Reference), each with what its value is a property of: the resource's own properties (its
# owner account, organization, tags, an object's existing tags), the Region S3 serves the bucket in (another Region's
# endpoint redirects, it does not authorize: request_keys) and the time. "Make the request with aws:ResourceAccount =
# ..." is another resource, not a change to the request: s3why never offers it as a fix, nor words it as one
# (tester3 report, D2).
_SET_BY_AWS = {
    "aws:resourceaccount": "the account that owns the resource",
    "s3:resourceaccount": "the account that owns the resource",
    "aws:resourceorgid": "the organization of the resource's account",
    "aws:resourceorgpaths": "where the resource's account sits in its organization",
    "aws:requestedregion": "the Region S3 serves the bucket in",
    "aws:currenttime": "the time of the request",
    "aws:epochtime": "the time of the request",
    "aws:tokenissuetime": "when the caller's temporary credentials were issued",
}
_SET_BY_AWS_PREFIXES = {"aws:resourcetag/": "a tag of the resource", "s3:existingobjecttag/": "a tag the object has"}
# Of those, the keys in every request's context (request_keys, resource_keys): never absent.
_ALWAYS_SET = frozenset(
    {"aws:resourceaccount", "s3:resourceaccount", "aws:requestedregion", "aws:currenttime", "aws:epochtime"}
)


def set_by_aws(key: str) -> str | None:
    """What `key`'s value is a property of, in words, when the sender cannot choose it (the resource, its account,
    the Region, the time); None for a key the request itself can change."""
    low = key.lower()
    if low in _SET_BY_AWS:
        return _SET_BY_AWS[low]
    return next((what for prefix, what in _SET_BY_AWS_PREFIXES.items() if low.startswith(prefix)), None)


def sender_cannot_set(key: str) -> bool:
    """Whether `key`'s value is beyond the sender's reach (a property of the resource, the Region or the time)."""
    return set_by_aws(key) is not None


def always_set(key: str) -> bool:
    """Whether AWS puts `key` in every S3 request's context, so that "absent" is no value it can have."""
    return key.lower() in _ALWAYS_SET


def principal_keys(p: Principal) -> dict[str, tuple[str, ...]]:
    """The keys AWS sets from the caller alone (lower-cased names)."""
    values: dict[str, tuple[str, ...]] = {}
    if p.principal_arn:
        values["aws:principalarn"] = (p.principal_arn,)
    if p.account:
        values["aws:principalaccount"] = (p.account,)
    if p.kind is PrincipalKind.USER and p.name:
        values["aws:username"] = (p.name,)
    kind = PRINCIPAL_TYPES.get(p.kind)
    if kind:
        values["aws:principaltype"] = (kind,)
    if p.kind is PrincipalKind.SERVICE:
        values["aws:principalisawsservice"] = ("true",)
        if p.service:
            values["aws:principalservicename"] = (p.service,)
    elif p.kind is not PrincipalKind.ANONYMOUS:
        values["aws:principalisawsservice"] = ("false",)
    if p.kind is PrincipalKind.ROOT and p.account:
        values["aws:userid"] = (p.account,)
    elif p.kind is PrincipalKind.FEDERATED_USER and p.account and p.name:
        values["aws:userid"] = (f"{p.account}:{p.name}",)
    elif p.kind is PrincipalKind.ANONYMOUS:
        values["aws:userid"] = ("anonymous",)
    return values


def request_keys(*, region: str | None, at: dt.datetime) -> dict[str, tuple[str, ...]]:
    """The keys AWS sets on every request, whoever makes it (IAM User Guide, "AWS global condition context keys"):
    aws:RequestedRegion, aws:CurrentTime and aws:EpochTime, each "Availability – This key is always included in the
    request context". The region is the one the request was served in — for S3 the bucket's Region, since another
    Region's endpoint answers with a redirect, not a 403 — and is left out only when s3why does not know it."""
    moment = at.astimezone(dt.UTC)
    values: dict[str, tuple[str, ...]] = {
        "aws:CurrentTime": (moment.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:EpochTime": (str(int(moment.timestamp())),),
    }
    if region:
        values["aws:RequestedRegion"] = (region,)
    return values


def resource_keys(resource: str, owner: str | None) -> dict[str, tuple[str, ...]]:
    """The keys AWS sets from the resource: its owner account, and S3's own copy of it."""
    values: dict[str, tuple[str, ...]] = {}
    if owner:
        values["aws:resourceaccount"] = (owner,)
        arn = Arn.parse(resource)
        if arn is not None and arn.service == "s3":
            values["s3:resourceaccount"] = (owner,)
    return values


def build_values(
    principal: Principal,
    resource: str,
    owner: str | None,
    *,
    derived: Mapping[str, tuple[str, ...]],
    given: Mapping[str, tuple[str, ...]],
) -> RequestValues:
    """Principal keys, then resource keys, then `derived`, then `given` (later ones win)."""
    values = principal_keys(principal)
    values.update(resource_keys(resource, owner))
    for key, vals in derived.items():
        values[key.lower()] = vals
    for key, vals in given.items():
        values[key.lower()] = vals
    return RequestValues(values)


def org_path(org_id: str, targets: Iterable[str]) -> str:
    """`aws:PrincipalOrgPaths`/`aws:ResourceOrgPaths` value: `o-id/r-root/ou-a/ou-b/` (the account excluded).

    IAM User Guide, aws:PrincipalOrgPaths: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/".
    """
    parts = [t for t in targets if t.startswith(("r-", "ou-"))]
    return "/".join([org_id, *parts]) + "/"


def organization_keys(
    *,
    principal_org: tuple[str, str] | None,
    resource_org: tuple[str, str] | None,
    vpce_account: str | None = None,
    vpce_org: str | None = None,
) -> dict[str, tuple[str, ...]]:
    """Derived keys from organization data: (org id, org path) for the caller's and the resource's accounts."""
    out: dict[str, tuple[str, ...]] = {}
    if principal_org is not None:
        out["aws:PrincipalOrgID"] = (principal_org[0],)
        out["aws:PrincipalOrgPaths"] = (principal_org[1],)
    if resource_org is not None:
        out["aws:ResourceOrgID"] = (resource_org[0],)
        out["aws:ResourceOrgPaths"] = (resource_org[1],)
    if vpce_account:
        out["aws:VpceAccount"] = (vpce_account,)
    if vpce_org:
        out["aws:VpceOrgID"] = (vpce_org,)
    return out
