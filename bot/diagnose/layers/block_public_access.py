"""S3 Block Public Access: each flag ORed over the account and the bucket (S3_AUTHZ.md §6.1). BlockPublicAcls
rejects requests that set a public ACL; RestrictPublicBuckets limits a public bucket policy's grants to the
bucket owner's account and AWS services. S3 User Guide, "Blocking public access to your Amazon S3 storage"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.account.view import AccountView
from bot.diagnose.evidence import evaluate_all
from bot.diagnose.layers.access_point import mrap_block_public_access
from bot.diagnose.layers.base import Authorization, Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, UNKNOWN
from bot.diagnose.options import context_value
from bot.diagnose.public import is_public_policy
from bot.engine import PolicyKind, parse_policy
from bot.engine.principal import PrincipalKind
from bot.layers import LayerId
from bot.parse.lookalikes import ACCESS_DENIED_CODES

BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_ACL_OPS = ("PutObject", "PutObjectAcl", "PutBucketAcl", "CopyObject", "CreateMultipartUpload", "CreateBucket")


def settings_by_level(view: AccountView) -> tuple[dict[str, dict[str, bool]], bool]:
    """Each level's Block Public Access flags ({"account": {...}, "bucket": {...}, "access point": {...}}), and
    whether every level in force was read. S3 applies "the most restrictive combination of the access point,
    bucket, and account settings" (S3 User Guide, "Blocking public access to your Amazon S3 storage"); an access
    point's own settings come with GetAccessPoint and count only for requests through it."""
    assert view.bucket is not None
    levels: dict[str, dict[str, bool]] = {}
    known = True
    for level, name in (("account", "account:GetPublicAccessBlock"), ("bucket", "GetPublicAccessBlock")):
        fact = view.bucket.get(name)
        if fact.present:
            conf = fact.value.get("PublicAccessBlockConfiguration") or {}
            levels[level] = {flag: bool(conf.get(flag)) for flag in BPA_FLAGS}
        elif not fact.known:
            known = False
    if view.access_point is not None:
        info = view.access_point.get("GetAccessPoint")
        if info is not None and info.present:
            conf = info.value.get("PublicAccessBlockConfiguration") or {}
            levels["access point"] = {flag: bool(conf.get(flag)) for flag in BPA_FLAGS}
    if (mrap := mrap_block_public_access(view)) is not None:
        levels["Multi-Region Access Point"] = mrap
    return levels, known


# Grantees that make an ACL public (S3 User Guide, "The meaning of 'public'": "an ACL is public if it grants any
# permissions to members of the predefined AllUsers or AuthenticatedUsers groups").
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
GRANT_HEADERS = ("read", "write", "read-acp", "write-acp", "full-control")


def public_grant_header(context: dict[str, tuple[str, ...]]) -> str | None:
    """The first x-amz-grant-* header that grants to AllUsers or AuthenticatedUsers, as "x-amz-grant-read: uri=..."
    (None when no grant header is public)."""
    for name in GRANT_HEADERS:
        value = context_value(context, f"s3:x-amz-grant-{name}")
        if value and any(grantee.lower() in value.lower() for grantee in PUBLIC_GRANTEES):
            return f"x-amz-grant-{name}: {value}"
    return None


def acl_branches(subject: Subject) -> list[dict[str, Any]]:
    """A bucket that refuses public ACLs makes "the request carried a public ACL" decide the outcome: when the
    text does not say which ACL the request sent, the upload with `public-read` is a branch (S3 checks Block
    Public Access before it stores the object; the policies decide the request without one)."""
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None or spec.operation not in _ACL_OPS:
        return []
    if context_value(auth.context, "s3:x-amz-acl") is not None or public_grant_header(auth.context):
        return []
    if auth.who.kind is PrincipalKind.SERVICE:
        return []  # an AWS service writes with the headers it documents (bucket-owner-full-control), not a user's
    levels, _ = settings_by_level(view)
    blocking = _levels_with(
        levels, "BlockPublicAcls", among=("account", "bucket", "access point", "Multi-Region Access Point")
    )
    if not blocking:
        return []
    by = f"BlockPublicAcls ({', '.join(blocking)} level)"
    return [
        {
            "key": "s3:x-amz-acl",
            "assumed": None,
            "outcomes": [
                {"value": "public-read", "decision": "implicit-deny", "by": by, "layer": "block-public-access"},
                {"value": None, "decision": auth.main.decision.value},
            ],
        }
    ]


def effective_settings(view: AccountView) -> tuple[dict[str, bool], bool]:
    """Block Public Access as in force (flag -> on, ORed over the levels), and whether every level was read."""
    levels, known = settings_by_level(view)
    flags = {flag: any(level.get(flag) for level in levels.values()) for flag in BPA_FLAGS}
    return flags, known


def _levels_with(levels: dict[str, dict[str, bool]], flag: str, *, among: tuple[str, ...]) -> list[str]:
    return [level for level in among if levels.get(level, {}).get(flag)]


# BlockPublicPolicy: "Amazon S3 rejects calls to PUT Bucket policy if the specified bucket policy allows public
# access" (S3 API Reference, PublicAccessBlockConfiguration). Through an access point "Amazon S3 evaluates the block
# public access settings for that access point, the underlying bucket, and the bucket owner's account" (S3 User
# Guide, "Managing public access to access points for general purpose buckets").
_POLICY_WRITES = {
    "PutBucketPolicy": ("account", "bucket"),
    "PutAccessPointPolicy": ("account", "bucket", "access point"),
}


# The document a PutBucketPolicy / PutAccessPointPolicy sends is never in an error message: whether it is public
# (S3 User Guide, "The meaning of public") is a property of the request s3why branches on, "true" or "false"
# (`--context s3why:new-policy-public=false` when the person knows).
NEW_POLICY_PUBLIC = "s3why:new-policy-public"


def _denial_in_text(subject: Subject) -> bool:
    req = subject.req
    return subject.options.text_is_evidence and (
        req.error_code in ACCESS_DENIED_CODES or (req.error_code is None and req.http_status == 403)
    )


def _policy_write(
    subject: Subject, auth: Authorization, operation: str, blocking: list[str], flags: dict[str, bool], out: Findings
) -> None:
    """BlockPublicPolicy on a policy write: decided by the new document when the person says whether it is public;
    otherwise a branch, and the likely cause when AWS denied a request every other layer allows (S3 refuses a
    public document with AccessDenied whatever the caller's permissions)."""
    where = f"BlockPublicPolicy is on ({', '.join(blocking)} level)"
    said = (context_value(auth.context, NEW_POLICY_PUBLIC) or "").lower()
    if said == "false":
        out.set(LayerId.BLOCK_PUBLIC_ACCESS, ALLOW, f"{where}; the new document is not public")
        return
    refusal = (
        f"S3 rejects {operation} when the new document is public (a Principal of * or an account-wide grant "
        "without a condition that fixes it to known principals, accounts, endpoints, VPCs or networks)"
    )
    fix = (
        "send a document that is not public (named principals or a fixed condition; for a site behind CloudFront, "
        "origin access control); turning BlockPublicPolicy off is the account owner's decision and a high risk"
    )
    if said == "true":
        out.set(LayerId.BLOCK_PUBLIC_ACCESS, DENY, f"{where}: {refusal}")
        out.cause(
            LayerId.BLOCK_PUBLIC_ACCESS,
            "setting",
            f"{where} and the new policy is public, which S3 rejects: {fix}",
            settings=flags,
            levels=blocking,
            new_policy_public="true",
        )
        return
    out.set(LayerId.BLOCK_PUBLIC_ACCESS, UNKNOWN, f"{where}: {refusal}; s3why has not seen the document sent")
    if auth.main.decision.value == "allow" and _denial_in_text(subject):
        out.cause(
            LayerId.BLOCK_PUBLIC_ACCESS,
            "setting",
            f"{where} and every other layer s3why read allows this {operation}: AWS refused it, so the new policy "
            f"document was most likely public (S3 rejects a public one; the text does not carry it): {fix}",
            settings=flags,
            levels=blocking,
            new_policy_public="unstated",
            suspect=True,
        )


def policy_branches(subject: Subject) -> list[dict[str, Any]]:
    """BlockPublicPolicy makes "the new document is public" decide a policy write the text does not show."""
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None or spec.operation not in _POLICY_WRITES:
        return []
    if context_value(auth.context, NEW_POLICY_PUBLIC) is not None:
        return []
    levels, _ = settings_by_level(view)
    blocking = _levels_with(levels, "BlockPublicPolicy", among=_POLICY_WRITES[spec.operation])
    if not blocking:
        return []
    by = f"BlockPublicPolicy ({', '.join(blocking)} level)"
    return [
        {
            "key": NEW_POLICY_PUBLIC,
            "assumed": None,
            "outcomes": [
                {"value": "true", "decision": "implicit-deny", "by": by, "layer": "block-public-access"},
                {"value": "false", "decision": auth.main.decision.value},
            ],
        }
    ]


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    flags, known = effective_settings(view)
    acl = (context_value(auth.context, "s3:x-amz-acl") or "").lower()
    grant = public_grant_header(auth.context)
    if grant and not acl:
        acl = grant
    on = [f for f, v in flags.items() if v]
    if (acl in PUBLIC_ACLS or grant) and spec.operation in _ACL_OPS and flags["BlockPublicAcls"]:
        out.set(LayerId.BLOCK_PUBLIC_ACCESS, DENY, f"BlockPublicAcls rejects the public ACL {acl} the request sends")
        out.cause(
            LayerId.BLOCK_PUBLIC_ACCESS,
            "setting",
            f"Block Public Access (BlockPublicAcls) rejects uploads that carry the public ACL {acl}: drop the "
            "ACL "
            "header (or use bucket-owner-full-control); turning Block Public Access off is not the fix",
            settings=flags,
            request_acl=acl,
        )
        return out.done()
    if spec.operation in _POLICY_WRITES:
        levels, _ = settings_by_level(view)
        blocking = _levels_with(levels, "BlockPublicPolicy", among=_POLICY_WRITES[spec.operation])
        if blocking:
            _policy_write(subject, auth, spec.operation, blocking, flags, out)
            return out.done()
    if _restricted(subject, auth, flags, out):
        return out.done()
    if not known:
        out.set(LayerId.BLOCK_PUBLIC_ACCESS, UNKNOWN, "Block Public Access settings could not be read")
    else:
        out.set(
            LayerId.BLOCK_PUBLIC_ACCESS, ALLOW, f"in force: {', '.join(on) or 'none'}; nothing public in this request"
        )
    return out.done()


def _restricted(subject: Subject, auth: Authorization, flags: dict[str, bool], out: Findings) -> bool:
    """RestrictPublicBuckets: another account's access granted only by a public bucket policy is refused."""
    bucket_policy, owner, who = auth.bucket_policy, auth.owner, auth.who
    # RestrictPublicBuckets keeps a public policy's grants for "AWS service principals and authorized users within
    # the bucket owner's account" (S3 User Guide, Block Public Access settings).
    restricted_caller = who.account != owner and who.kind is not PrincipalKind.SERVICE
    if not (flags["RestrictPublicBuckets"] and bucket_policy is not None and owner and restricted_caller):
        return False
    status = subject.view.bucket.get("GetBucketPolicyStatus") if subject.view.bucket else None
    public = (
        bool((status.value or {}).get("PolicyStatus", {}).get("IsPublic"))
        if status is not None and status.present
        else is_public_policy(bucket_policy.document)
    )
    if not (public and auth.main.decision.value == "allow"):
        return False
    # Grants of a public policy count only for the bucket owner's account and AWS services: drop them.
    denies_only = parse_policy(
        {"Version": "2012-10-17", "Statement": [s.raw for s in bucket_policy.statements if not s.is_allow]},
        name=bucket_policy.name,
        kind=PolicyKind.RESOURCE,
    )
    restricted = replace(auth.policies, resource=denies_only)
    result = evaluate_all(who, auth.actions, auth.resource, owner, auth.context, restricted)
    if result.decision.value == "allow":
        return False
    out.set(
        LayerId.BLOCK_PUBLIC_ACCESS,
        DENY,
        "RestrictPublicBuckets ignores the public bucket policy's grants for other accounts",
    )
    if who.kind is PrincipalKind.ANONYMOUS:
        summary = (
            "the bucket policy is public, and RestrictPublicBuckets limits its grants to the bucket owner's "
            "account and AWS services: an unsigned request gets nothing from it. Sign the request (or serve the "
            "objects through CloudFront with origin access control); turning the setting off makes the bucket public"
        )
    else:
        summary = (
            "the bucket policy is public, and RestrictPublicBuckets limits its grants to the bucket owner's "
            "account and AWS services: make the policy non-public (name the principals, or add a fixed "
            "aws:PrincipalOrgID/aws:SourceVpce condition) so its cross-account grants work again"
        )
    out.cause(
        LayerId.BLOCK_PUBLIC_ACCESS,
        "setting",
        summary,
        settings=flags,
        policy_is_public=True,
    )
    return True


CHECK = LayerCheck(
    name="block_public_access",
    layers=(LayerId.BLOCK_PUBLIC_ACCESS,),
    reads=("GetPublicAccessBlock (bucket and account)", "GetBucketPolicyStatus", "s3:x-amz-acl"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
