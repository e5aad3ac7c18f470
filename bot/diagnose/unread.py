"""Condition keys AWS sets from data s3why did not read.

AWS puts these keys in the request context whatever s3why could see: the caller's and the resource's organization
(`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:ResourceOrgID`, `aws:ResourceOrgPaths`: IAM User Guide, "AWS
global condition context keys"), an object's current tags (`s3:ExistingObjectTag/<key>`: S3 Service Authorization
Reference), the bucket's tags under ABAC (`aws:ResourceTag/<key>`: S3 User Guide, "Enabling ABAC in general purpose
buckets"), and the caller's tags (`aws:PrincipalTag/<key>`). When s3why could not read the data, the engine sees the
key absent; a verdict that turns on such a key is undecided, never a named denial (CONTRACT: `unknown` "when a
layer that could decide it could not be read"), and never fixed by a grant that drops the condition.
"""

from __future__ import annotations

from bot.account.view import ABSENT, AccountView
from bot.diagnose.options import DiagnoseOptions
from bot.diagnose.s3_newer import abac_enabled

# Object tags are never read: s3why's read role has no s3:GetObjectTagging (it reads configuration, not objects).
_OBJECT_TAGS = "s3:existingobjecttag/"


def unread_keys(
    view: AccountView,
    options: DiagnoseOptions,
    principal_account: str | None,
    resource_account: str | None,
    *,
    tagged_caller: bool = True,
) -> dict[str, str]:
    """Lower-cased key (or prefix ending in "/") -> why its value is unknown to s3why. Keys the person gave
    (`--context`) are facts."""
    out: dict[str, str] = {_OBJECT_TAGS: "s3why does not read object tags (s3:GetObjectTagging)"}
    for keys, account, whose in (
        (("aws:principalorgid", "aws:principalorgpaths"), principal_account, "the caller's"),
        (("aws:resourceorgid", "aws:resourceorgpaths"), resource_account, "the resource owner's"),
    ):
        why = _organization_unread(view, account)
        if why is not None:
            for key in keys:
                out[key] = f"{whose} organization was not read ({why})"
    bucket = view.bucket
    if bucket is not None:
        enabled = abac_enabled(bucket)
        tags = bucket.get("GetBucketTagging")
        if enabled is None:
            out["aws:resourcetag/"] = f"whether ABAC is enabled on {bucket.name} was not read (GetBucketAbac)"
        elif enabled and not tags.known:
            out["aws:resourcetag/"] = f"the tags of {bucket.name} were not read (GetBucketTagging)"
    principal = view.principal
    if tagged_caller and (principal is None or principal.unseen):
        # An IAM user or role s3why could not read (the root user, an anonymous request or a service carry no
        # principal tags).
        out["aws:principaltag/"] = "the caller's tags were not read"
    given = {k.lower() for k in options.context}
    return {k: v for k, v in out.items() if not any(g == k or (k.endswith("/") and g.startswith(k)) for g in given)}


def _organization_unread(view: AccountView, account: str | None) -> str | None:
    """Why the organization of `account` is unknown to s3why; None when s3why knows it (a member it read, or not in
    one)."""
    if account is None:
        return None
    for org in view.organizations.values():
        if org.account != account:
            continue
        if org.org_id is not None or org.membership.status == ABSENT:
            return None
        return org.membership.detail or "organizations:DescribeOrganization"
    return "no organization data for this account"


def why_unread(key: str, unread: dict[str, str]) -> str | None:
    """Why `key`'s value is unknown, when it is one of `unread`'s."""
    low = key.lower()
    for pattern, why in unread.items():
        if low == pattern or (pattern.endswith("/") and low.startswith(pattern)):
            return why
    return None
