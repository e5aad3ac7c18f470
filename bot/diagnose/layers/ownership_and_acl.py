"""Object Ownership and ACLs. BucketOwnerEnforced disables ACLs: a request that sets one fails with
AccessControlListNotSupported. Under ObjectWriter/BucketOwnerPreferred an object written by another account is
that account's, and only the object's ACL can grant access to it. S3 User Guide, "Controlling ownership of
objects and disabling ACLs for your bucket"."""

from __future__ import annotations

from bot.account.view import ABSENT, AccountView
from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.options import context_value
from bot.layers import LayerId
from bot.s3ops import ResourceKind

_SETS_ACL = ("PutObject", "PutObjectAcl", "PutBucketAcl", "CopyObject", "CreateMultipartUpload")
_READS = (
    "GetObject",
    "HeadObject",
    "GetObjectAcl",
    "GetObjectTagging",
    "GetObjectAttributes",
    "CopyObject",
    "SelectObjectContent",
)


def object_ownership(view: AccountView) -> str | None:
    """The bucket's Object Ownership setting; None when it could not be read."""
    assert view.bucket is not None
    fact = view.bucket.get("GetBucketOwnershipControls")
    if fact.present:
        rules = (fact.value.get("OwnershipControls") or {}).get("Rules") or []
        return str(rules[0].get("ObjectOwnership")) if rules else "ObjectWriter"
    if fact.status == ABSENT:
        return "ObjectWriter"  # no OwnershipControls at all: behaves as ObjectWriter
    return None


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec, req = subject.auth, subject.view, subject.spec, subject.req
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    ownership = object_ownership(view)
    ctx = subject.options.context
    acl = context_value(ctx, "s3:x-amz-acl")
    grants = [k for k in ctx if k.lower().startswith("s3:x-amz-grant-")]
    sends_acl = (acl is not None and acl != "bucket-owner-full-control") or bool(grants)
    if ownership is None:
        out.set(LayerId.OBJECT_OWNERSHIP, UNKNOWN, view.bucket.get("GetBucketOwnershipControls").detail)
    elif (
        ownership == "BucketOwnerEnforced"
        and (sends_acl or req.error_code == "AccessControlListNotSupported")
        and spec.operation in _SETS_ACL
    ):
        out.set(LayerId.OBJECT_OWNERSHIP, DENY, "BucketOwnerEnforced: ACLs are disabled, and the request sets one")
        out.cause(
            LayerId.OBJECT_OWNERSHIP,
            "setting",
            "the bucket's Object Ownership is BucketOwnerEnforced, so ACLs are disabled and a request that sets one "
            "fails (AccessControlListNotSupported): drop the ACL header (--acl / x-amz-acl / x-amz-grant-*)",
            object_ownership=ownership,
            request_acl=acl,
        )
        return out.done()
    else:
        out.set(LayerId.OBJECT_OWNERSHIP, ALLOW, f"Object Ownership: {ownership}")
    # Objects written by another account (ACLs in force): only the object's ACL can grant access to it.
    obj = view.bucket.object
    if obj is not None and (spec.operation not in _READS or not obj.head.present):
        out.set(LayerId.ACL, NOT_APPLICABLE, "no existing object to read")
        return out.done()
    if obj is None or ownership in (None, "BucketOwnerEnforced") or spec.resource is not ResourceKind.OBJECT:
        enforced = ownership == "BucketOwnerEnforced"
        out.set(
            LayerId.ACL,
            NOT_APPLICABLE,
            "ACLs are disabled (BucketOwnerEnforced)" if enforced else "no object ACL to check",
        )
        return out.done()
    bucket_acl = view.bucket.get("GetBucketAcl")
    object_acl = obj.acl
    if not (bucket_acl.present and object_acl.present):
        out.set(
            LayerId.ACL,
            UNKNOWN,
            (object_acl if not object_acl.present else bucket_acl).detail or "ACLs could not be read",
        )
        return out.done()
    bucket_owner_id = (bucket_acl.value.get("Owner") or {}).get("ID")
    object_owner_id = (object_acl.value.get("Owner") or {}).get("ID")
    if bucket_owner_id and object_owner_id and bucket_owner_id != object_owner_id and auth.who.account == auth.owner:
        granted = any(
            (g.get("Grantee") or {}).get("ID") == bucket_owner_id and g.get("Permission") in ("FULL_CONTROL", "READ")
            for g in object_acl.value.get("Grants", [])
        )
        if not granted:
            out.set(
                LayerId.ACL, DENY, "the object belongs to another account and its ACL does not grant the bucket owner"
            )
            out.cause(
                LayerId.ACL,
                "setting",
                f"the object is owned by another account (canonical id {object_owner_id[:12]}…) under {ownership}: the "
                "bucket policy cannot grant access to it. Switch Object Ownership to BucketOwnerEnforced (the bucket "
                "owner then owns every object), or have the writer copy it again with bucket-owner-full-control",
                object_owner=object_owner_id,
                bucket_owner=bucket_owner_id,
                object_ownership=ownership,
            )
            return out.done()
    if (
        bucket_owner_id
        and object_owner_id
        and bucket_owner_id != object_owner_id
        and auth.who.account is not None
        and auth.who.account != auth.owner
        and not _acl_grants_any_caller(view, object_acl.value, object_owner_id)
    ):
        # A third account: the bucket owner's policy cannot grant access to an object it does not own ("the bucket
        # policy applies only to objects owned by the bucket owner"; S3 User Guide, "How Amazon S3 authorizes a
        # request for an object operation": the object context is the object owner's ACL).
        out.set(LayerId.ACL, DENY, "the object belongs to another account and its ACL grants no one else")
        out.cause(
            LayerId.ACL,
            "setting",
            f"the object is owned by another account (canonical id {object_owner_id[:12]}…) under {ownership}: the "
            "bucket policy cannot grant access to it, and its ACL grants only its owner, so only a caller in that "
            "account can read it. Switch Object Ownership to BucketOwnerEnforced (the bucket owner then owns every "
            "object and the bucket policy applies), or have the writer grant bucket-owner-full-control",
            object_owner=object_owner_id,
            bucket_owner=bucket_owner_id,
            object_ownership=ownership,
        )
        return out.done()
    if (
        object_owner_id
        and bucket_owner_id == object_owner_id
        and _acl_grant(subject, out, object_acl.value, str(object_owner_id))
    ):
        return out.done()
    out.set(
        LayerId.ACL,
        ALLOW,
        "the object belongs to the bucket owner"
        if bucket_owner_id == object_owner_id
        else "the object ACL grants the bucket owner",
    )
    return out.done()


CHECK = LayerCheck(
    name="ownership_and_acl",
    layers=(LayerId.OBJECT_OWNERSHIP, LayerId.ACL),
    reads=("GetBucketOwnershipControls", "GetBucketAcl", "GetObjectAcl", "s3:x-amz-acl", "s3:x-amz-grant-*"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)


_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _acl_grants_any_caller(view: AccountView, acl: dict[str, object], owner_id: str) -> bool:
    """Whether an object ACL could grant a caller outside the bucket owner's account: a grant to another canonical
    user (whose account s3why cannot name) or to everyone / every AWS account that Block Public Access does not
    make S3 ignore (IgnorePublicAcls)."""
    from bot.diagnose.layers.block_public_access import effective_settings

    ignore_public = effective_settings(view)[0]["IgnorePublicAcls"]
    grants = acl.get("Grants") if isinstance(acl, dict) else None
    for grant in grants if isinstance(grants, list) else []:
        if not isinstance(grant, dict) or grant.get("Permission") not in ("READ", "FULL_CONTROL"):
            continue
        grantee = grant.get("Grantee") or {}
        if not isinstance(grantee, dict):
            continue
        if grantee.get("URI") in (_ALL_USERS, _AUTHENTICATED_USERS):
            if not ignore_public:
                return True
        elif grantee.get("ID") and grantee.get("ID") != owner_id:
            return True
    return False


# Object ACL permissions and the actions they satisfy (S3 User Guide, "Access control list (ACL) overview",
# "Mapping of ACL permissions and access policy permissions": READ on an object -> s3:GetObject,
# s3:GetObjectVersion; READ_ACP -> s3:GetObjectAcl, s3:GetObjectVersionAcl; WRITE_ACP -> s3:PutObjectAcl,
# s3:PutObjectVersionAcl; FULL_CONTROL -> all of them).
_ACL_GRANTS: dict[str, frozenset[str]] = {
    "s3:GetObject": frozenset({"READ", "FULL_CONTROL"}),
    "s3:GetObjectVersion": frozenset({"READ", "FULL_CONTROL"}),
    "s3:GetObjectAcl": frozenset({"READ_ACP", "FULL_CONTROL"}),
    "s3:GetObjectVersionAcl": frozenset({"READ_ACP", "FULL_CONTROL"}),
    "s3:PutObjectAcl": frozenset({"WRITE_ACP", "FULL_CONTROL"}),
    "s3:PutObjectVersionAcl": frozenset({"WRITE_ACP", "FULL_CONTROL"}),
}


def _only_the_bucket_side_withholds(subject: Subject) -> bool:
    """The engine denies only because no resource-side grant reaches this caller (an anonymous request, or another
    account's): every other layer allows. An ACL grant is another resource-side grant (S3_AUTHZ.md §1: "When ACLs
    are enabled, an ACL grant is just another way to satisfy these actions")."""
    auth = subject.auth
    assert auth is not None
    main = auth.main
    if main.decision.value != "implicit-deny" or auth.route is not None:
        return False
    bucket = main.layer(LayerId.BUCKET_POLICY)
    if bucket is not None and bucket.verdict.value not in ("no-allow", "not-applicable"):
        return False  # no bucket policy at all is "not-applicable": nothing on the resource side grants either
    others = [layer for layer in main.layers if layer.layer is not LayerId.BUCKET_POLICY]
    return all(layer.verdict.value not in ("deny", "no-allow") for layer in others)


def _acl_grant(subject: Subject, out: Findings, acl: dict[str, object], owner_id: str) -> bool:
    """An object ACL that grants the request to the caller, the bucket owning the object (ACLs in force): it is
    the resource side's grant, or Block Public Access voids it (IgnorePublicAcls: "causes Amazon S3 to ignore all
    public ACLs on this bucket and objects in this bucket", S3 API Reference, PublicAccessBlockConfiguration).
    Returns True when it decided the ACL layer."""
    from bot.diagnose.layers.block_public_access import PUBLIC_GRANTEES, effective_settings

    auth = subject.auth
    assert auth is not None
    wanted = [_ACL_GRANTS.get(action) for action in auth.actions]
    if not wanted or any(w is None for w in wanted) or not _only_the_bucket_side_withholds(subject):
        return False
    anonymous = auth.who.account is None and auth.who.service is None
    grants = acl.get("Grants") if isinstance(acl, dict) else None
    public: list[str] = []
    others: list[str] = []
    for grant in grants if isinstance(grants, list) else []:
        if not isinstance(grant, dict):
            continue
        permission, grantee = grant.get("Permission"), grant.get("Grantee") or {}
        if not isinstance(grantee, dict) or not all(permission in w for w in wanted if w is not None):
            continue
        uri = str(grantee.get("URI") or "")
        if uri.endswith(PUBLIC_GRANTEES[0]) or (uri.endswith(PUBLIC_GRANTEES[1]) and not anonymous):
            public.append(f"{permission} to {uri.rsplit('/', 1)[-1]}")
        elif grantee.get("ID") and grantee.get("ID") != owner_id and not anonymous:
            others.append(f"{permission} to canonical user {str(grantee.get('ID'))[:12]}…")
    if public:
        settings, _ = effective_settings(subject.view)
        if settings["IgnorePublicAcls"]:
            instead = (
                "sign the request as a principal the bucket policy grants"
                if anonymous
                else "grant the caller in the bucket policy"
            )
            summary = (
                f"the object's ACL grants {public[0]}, but IgnorePublicAcls makes S3 ignore public ACLs, and nothing "
                f"else grants this caller: Block Public Access denies it. Instead, {instead} (or serve the object "
                "through CloudFront with origin access control); turning IgnorePublicAcls off makes the object public"
            )
            out.set(LayerId.BLOCK_PUBLIC_ACCESS, DENY, f"IgnorePublicAcls voids the object ACL's {public[0]}")
            out.set(LayerId.ACL, ALLOW, f"the object's ACL grants {public[0]} (ignored: IgnorePublicAcls)")
            out.cause(LayerId.BLOCK_PUBLIC_ACCESS, "setting", summary, setting="IgnorePublicAcls", acl_grant=public[0])
        else:
            out.set(LayerId.ACL, ALLOW, f"the object's ACL grants {public[0]}: it grants this request")
        out.supersedes.add(LayerId.BUCKET_POLICY)
        return True
    if others:
        # A canonical user id names an account s3why cannot tell from it: the grant may be the caller's account's.
        out.set(
            LayerId.ACL,
            UNKNOWN,
            f"the object's ACL grants {others[0]}: if that is account {auth.who.account}'s canonical id, the ACL "
            "grants this request (s3why cannot tell an account from a canonical id)",
        )
        out.supersedes.add(LayerId.BUCKET_POLICY)
        return True
    return False
