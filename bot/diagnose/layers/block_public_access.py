"""S3 Block Public Access: each flag ORed over the account and the bucket (S3_AUTHZ.md §6.1). BlockPublicAcls
rejects requests that set a public ACL; RestrictPublicBuckets limits a public bucket policy's grants to the
bucket owner's account and AWS services. S3 User Guide, "Blocking public access to your Amazon S3 storage"."""

from __future__ import annotations

from dataclasses import replace

from bot.account.view import AccountView
from bot.diagnose.evidence import evaluate_all
from bot.diagnose.layers.base import Authorization, Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, UNKNOWN
from bot.diagnose.options import context_value
from bot.diagnose.public import is_public_policy
from bot.engine import PolicyKind, parse_policy
from bot.engine.principal import PrincipalKind
from bot.layers import LayerId

BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_ACL_OPS = ("PutObject", "PutObjectAcl", "PutBucketAcl", "CopyObject", "CreateMultipartUpload", "CreateBucket")


def effective_settings(view: AccountView) -> tuple[dict[str, bool], bool]:
    """Block Public Access as in force (flag -> on), and whether both the account's and the bucket's were read."""
    assert view.bucket is not None
    flags = dict.fromkeys(BPA_FLAGS, False)
    known = True
    for name in ("GetPublicAccessBlock", "account:GetPublicAccessBlock"):
        fact = view.bucket.get(name)
        if fact.present:
            conf = fact.value.get("PublicAccessBlockConfiguration") or {}
            for flag in BPA_FLAGS:
                flags[flag] = flags[flag] or bool(conf.get(flag))
        elif not fact.known:
            known = False
    return flags, known


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    flags, known = effective_settings(view)
    acl = (context_value(subject.options.context, "s3:x-amz-acl") or "").lower()
    on = [f for f, v in flags.items() if v]
    if acl in PUBLIC_ACLS and spec.operation in _ACL_OPS and flags["BlockPublicAcls"]:
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
    out.cause(
        LayerId.BLOCK_PUBLIC_ACCESS,
        "setting",
        "the bucket policy is public, and RestrictPublicBuckets limits its grants to the bucket owner's "
        "account and AWS services: make the policy non-public (name the principals, or add a fixed "
        "aws:PrincipalOrgID/aws:SourceVpce condition) so its cross-account grants work again",
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
