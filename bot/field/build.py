"""Compile a field case's compact `account:` section into an s3why snapshot (docs/snapshot.schema.json).

Every `calls` entry is shaped as AWS returns it (the AWS CLI's JSON); settings a case leaves out are the ones S3
and IAM give a new resource (no bucket policy, no Public Access Block, BucketOwnerEnforced, no encryption
configuration, no Object Lock, the bucket owner pays). Canonical user ids are derived from the account id
(deterministic, 64 hex digits), so "owned by another account" compares as S3 compares it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.arn import Arn
from bot.field.case import (
    AccountSpec,
    BucketSpec,
    Case,
    CloudFrontSpec,
    KeySpec,
    OrgLevel,
    OrgSpec,
    PrincipalSpec,
    PublicAccessBlock,
    SignerSpec,
)

_FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def canonical_id(account: str) -> str:
    """A stand-in canonical user id for an account (S3 compares owners by canonical id)."""
    return hashlib.sha256(f"s3why-field:{account}".encode()).hexdigest()


def error(code: str, message: str = "") -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message or code}}


def _denied(action: str) -> dict[str, Any]:
    return error("AccessDenied", f"User is not authorized to perform: {action}")


def _acl(owner: str, *, public_read: bool) -> dict[str, Any]:
    grants: list[dict[str, Any]] = [
        {"Grantee": {"ID": canonical_id(owner), "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    ]
    if public_read:
        grants.append({"Grantee": {"Type": "Group", "URI": _ALL_USERS}, "Permission": "READ"})
    return {"Owner": {"ID": canonical_id(owner)}, "Grants": grants}


def _pab(pab: PublicAccessBlock | None) -> dict[str, Any]:
    if pab is None:
        return error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
    return {"PublicAccessBlockConfiguration": pab.model_dump()}


def _role_name_and_arn(arn: str, path: str) -> tuple[str, str, str]:
    """(kind, name, the IAM entity's ARN) for a role, role session or user ARN."""
    parsed = Arn.parse(arn)
    if parsed is None:
        raise ValueError(f"principal {arn!r} is not an ARN")
    resource = parsed.resource
    account = parsed.account
    if parsed.service == "sts" and resource.startswith("assumed-role/"):
        name = resource.split("/")[1]
        return "role", name, f"arn:aws:iam::{account}:role{path}{name}"
    if resource.startswith("role/"):
        name = resource.rsplit("/", 1)[-1]
        return "role", name, arn
    if resource.startswith("user/"):
        return "user", resource.rsplit("/", 1)[-1], arn
    raise ValueError(f"principal {arn!r}: build.py knows roles, role sessions and users")


def principal_part(spec: PrincipalSpec) -> dict[str, Any]:
    kind, name, entity_arn = _role_name_and_arn(spec.arn, spec.path)
    account = entity_arn.split(":")[4]
    cap = "Role" if kind == "role" else "User"
    if spec.unreadable:
        calls: dict[str, Any] = {f"Get{cap}": _denied(f"iam:Get{cap}")}
        return {"arn": spec.arn, "account": account, "kind": kind, "calls": calls}
    record: dict[str, Any] = {
        "Path": spec.path,
        f"{cap}Name": name,
        f"{cap}Id": ("AROA" if kind == "role" else "AIDA")
        + hashlib.sha256(entity_arn.encode()).hexdigest()[:17].upper(),
        "Arn": entity_arn,
        "CreateDate": "2025-01-01T00:00:00+00:00",
    }
    if spec.tags:
        record["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    managed = dict(spec.managed)
    if spec.boundary is not None:
        record["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": spec.boundary.arn,
        }
        managed_docs = {**managed, spec.boundary.arn: spec.boundary.document}
    else:
        managed_docs = managed
    calls = {
        f"Get{cap}": {cap: record},
        f"List{cap}Policies": {"PolicyNames": list(spec.inline), "IsTruncated": False},
        f"ListAttached{cap}Policies": {
            "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in managed],
            "IsTruncated": False,
        },
        f"{cap}Policies": {
            n: {f"{cap}Name": name, "PolicyName": n, "PolicyDocument": d} for n, d in spec.inline.items()
        },
        "Policies": {
            a: {
                "GetPolicy": {"Policy": {"PolicyName": a.rsplit("/", 1)[-1], "Arn": a, "DefaultVersionId": "v1"}},
                "GetPolicyVersion": {"PolicyVersion": {"Document": d, "VersionId": "v1", "IsDefaultVersion": True}},
            }
            for a, d in managed_docs.items()
        },
    }
    if kind == "user":
        calls["ListGroupsForUser"] = {"Groups": [{"GroupName": g} for g in spec.groups]}
        calls["Groups"] = {
            g: {
                "ListGroupPolicies": {"PolicyNames": list(grp.inline)},
                "ListAttachedGroupPolicies": {
                    "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in grp.managed]
                },
                "GroupPolicies": {
                    n: {"GroupName": g, "PolicyName": n, "PolicyDocument": d} for n, d in grp.inline.items()
                },
            }
            for g, grp in spec.groups.items()
        }
        for grp in spec.groups.values():
            for a, d in grp.managed.items():
                calls["Policies"][a] = {"GetPolicyVersion": {"PolicyVersion": {"Document": d, "VersionId": "v1"}}}
    return {"arn": spec.arn, "account": account, "kind": kind, "calls": calls}


def bucket_part(spec: BucketSpec) -> dict[str, Any]:
    owner = spec.account
    calls: dict[str, Any] = {
        "GetBucketLocation": {"LocationConstraint": None if spec.region == "us-east-1" else spec.region},
        "GetBucketPolicy": {"Policy": json.dumps(spec.policy)}
        if spec.policy is not None
        else error("NoSuchBucketPolicy", "The bucket policy does not exist"),
        "GetBucketPolicyStatus": {"PolicyStatus": {"IsPublic": False}}
        if spec.policy is not None
        else error("NoSuchBucketPolicy", "The bucket policy does not exist"),
        "GetBucketAcl": _acl(owner, public_read=spec.public_read_acl),
        "GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": spec.ownership}]}}
        if spec.ownership is not None
        else error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        "GetPublicAccessBlock": _pab(spec.public_access_block),
        "GetBucketEncryption": error(
            "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"
        ),
        "GetObjectLockConfiguration": error(
            "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"
        ),
        "GetBucketRequestPayment": {"Payer": "Requester" if spec.requester_pays else "BucketOwner"},
        "GetBucketVersioning": {"Status": spec.versioning} if spec.versioning else {},
    }
    if spec.encryption is not None:
        default: dict[str, Any] = {"SSEAlgorithm": spec.encryption.algorithm}
        if spec.encryption.kms_key:
            default["KMSMasterKeyID"] = spec.encryption.kms_key
        calls["GetBucketEncryption"] = {
            "ServerSideEncryptionConfiguration": {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": default,
                        "BucketKeyEnabled": spec.encryption.bucket_key,
                    }
                ]
            }
        }
    if spec.object_lock is not None:
        lock: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
        if spec.object_lock.mode:
            lock["Rule"] = {"DefaultRetention": {"Mode": spec.object_lock.mode, "Days": spec.object_lock.days or 1}}
        calls["GetObjectLockConfiguration"] = {"ObjectLockConfiguration": lock}
    if spec.tags:
        calls["GetBucketTagging"] = {"TagSet": [{"Key": k, "Value": v} for k, v in spec.tags.items()]}
    for name in spec.unreadable:
        if name not in calls:
            raise ValueError(f"bucket.unreadable: {name} is not a bucket call build.py writes")
        calls[name] = error("AccessDenied", "Access Denied")
    out: dict[str, Any] = {
        "name": spec.name,
        "account": owner,
        "region": spec.region,
        "calls": calls,
        "account_calls": {"GetPublicAccessBlock": _pab(spec.account_public_access_block)},
    }
    o = spec.object
    if o is not None:
        if o.missing:
            head: dict[str, Any] = error("404", "Not Found")
            acl: dict[str, Any] = error("NoSuchKey", "The specified key does not exist.")
        else:
            head = {"ContentLength": 1024, "ETag": '"0123456789abcdef"', "ContentType": "binary/octet-stream"}
            if o.sse:
                head["ServerSideEncryption"] = o.sse
            if o.kms_key:
                head["SSEKMSKeyId"] = o.kms_key
            if o.bucket_key:
                head["BucketKeyEnabled"] = True
            if o.lock_mode:
                head["ObjectLockMode"] = o.lock_mode
                head["ObjectLockRetainUntilDate"] = o.retain_until or "2099-01-01T00:00:00+00:00"
            if o.legal_hold:
                head["ObjectLockLegalHoldStatus"] = "ON"
            acl = _acl(o.owner or owner, public_read=o.public_read_acl)
        out["object"] = {"key": o.key, "calls": {"HeadObject": head, "GetObjectAcl": acl}}
    return out


def key_part(spec: KeySpec) -> dict[str, Any]:
    parsed = Arn.parse(spec.arn)
    if parsed is None or parsed.service != "kms":
        raise ValueError(f"kms key {spec.arn!r} is not a KMS key ARN")
    account = parsed.account
    if spec.unreadable:
        return {
            "account": account,
            "calls": {
                "DescribeKey": _denied("kms:DescribeKey"),
                "GetKeyPolicy": _denied("kms:GetKeyPolicy"),
                "ListGrants": _denied("kms:ListGrants"),
            },
        }
    key_id = parsed.resource.split("/", 1)[-1]
    policy = spec.policy
    if policy is None:  # AWS's default key policy: the account's IAM policies decide
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    return {
        "account": account,
        "calls": {
            "DescribeKey": {
                "KeyMetadata": {
                    "AWSAccountId": account,
                    "KeyId": key_id,
                    "Arn": spec.arn,
                    "Enabled": spec.enabled,
                    "KeyState": "Enabled" if spec.enabled else "Disabled",
                    "KeyManager": spec.manager,
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "Origin": "AWS_KMS",
                }
            },
            "GetKeyPolicy": {"Policy": json.dumps(policy), "PolicyName": "default"},
            "ListGrants": {"Grants": spec.grants, "Truncated": False},
            "ListAliases": {"Aliases": [{"AliasName": a, "TargetKeyId": key_id} for a in spec.aliases]},
        },
    }


def organization_part(account: str, spec: OrgSpec) -> dict[str, Any]:
    if not spec.member:
        return {
            "account": account,
            "calls": {
                "DescribeOrganization": error(
                    "AWSOrganizationsNotInUseException", "Your account is not a member of an organization."
                )
            },
        }
    calls: dict[str, Any] = {
        "DescribeOrganization": {
            "Organization": {"Id": spec.id, "MasterAccountId": spec.management_account, "FeatureSet": "ALL"}
        }
    }
    if spec.unreadable:
        calls["ListParents"] = _denied("organizations:ListParents")
        return {"account": account, "calls": calls}

    def described(docs: list[dict[str, Any]], kind: str, target: str) -> list[dict[str, Any]]:
        return [
            {
                "Policy": {
                    "PolicySummary": {"Id": f"p-{kind}{i}{target[-4:]}", "Name": f"{kind}-{target}-{i}"},
                    "Content": json.dumps(d),
                }
            }
            for i, d in enumerate(docs)
        ]

    levels = spec.levels or [OrgLevel(target="r-root")]
    out_levels: list[dict[str, Any]] = []
    for n, level in enumerate(levels):
        scps = level.scps if n else [_FULL_ACCESS, *level.scps]  # FullAWSAccess at the root unless the case says
        out_levels.append(
            {
                "target": level.target,
                "SERVICE_CONTROL_POLICY": described(scps, "scp", level.target),
                "RESOURCE_CONTROL_POLICY": described(level.rcps, "rcp", level.target),
            }
        )
    if out_levels[-1]["target"] != account:
        out_levels.append(
            {
                "target": account,
                "SERVICE_CONTROL_POLICY": described([_FULL_ACCESS], "scp", account),
                "RESOURCE_CONTROL_POLICY": [],
            }
        )
    # Every level below the root inherits nothing by itself: an SCP level with no Allow denies everything
    # (AWS: "every level ... must explicitly allow"); levels the case lists without SCPs get FullAWSAccess.
    for lv in out_levels[1:]:
        if not lv["SERVICE_CONTROL_POLICY"]:
            lv["SERVICE_CONTROL_POLICY"] = described([_FULL_ACCESS], "scp", str(lv["target"]))
    return {"account": account, "calls": calls, "levels": out_levels}


def signer_part(spec: SignerSpec) -> dict[str, Any]:
    """The snapshot's `signer` section: what sts:GetAccessKeyInfo (the account) and, for a long-term key,
    iam:GetAccessKeyLastUsed (the user) say, plus the session a record names for a temporary key."""
    parsed = Arn.parse(spec.arn)
    if parsed is None:
        raise ValueError(f"signer {spec.arn!r} is not an ARN")
    temporary = spec.access_key_id.startswith("ASIA")
    return {
        "access_key_id": spec.access_key_id,
        "temporary": temporary,
        "account": parsed.account,
        "user_arn": None if temporary else spec.arn,
        "unseen": None,
        "principal_arn": spec.arn,
    }


def cloudfront_part(spec: CloudFrontSpec, bucket: BucketSpec) -> dict[str, Any]:
    """The bucket owner's distributions as cloudfront:ListDistributions returns them (the bucket as S3 origin)."""
    items = []
    for d in spec.distributions:
        origin: dict[str, Any] = {
            "Id": f"{bucket.name}-origin",
            "DomainName": f"{bucket.name}.s3.{bucket.region}.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": f"origin-access-identity/cloudfront/{d.oai}" if d.oai else ""},
        }
        items.append(
            {
                "Id": d.id,
                "ARN": f"arn:aws:cloudfront::{bucket.account}:distribution/{d.id}",
                "Origins": {"Quantity": 1, "Items": [origin]},
            }
        )
    answer = {"DistributionList": {"Quantity": len(items), "Items": items, "IsTruncated": False}}
    return {"account": bucket.account, "calls": {"ListDistributions": answer}}


def compile_account(case: Case) -> dict[str, Any]:
    """The snapshot s3why diagnoses for `case` (what `s3why snapshot` would have recorded)."""
    spec: AccountSpec = case.account
    snap: dict[str, Any] = {"s3why_snapshot": 1, "collected_at": "2026-12-01T00:00:00+00:00"}
    target: dict[str, Any] = {}
    principal_account = None
    if spec.principal is not None:
        snap["principal"] = principal_part(spec.principal)
        target["principal_arn"] = spec.principal.arn
        principal_account = snap["principal"]["account"]
    if spec.bucket is not None:
        snap["bucket"] = bucket_part(spec.bucket)
        target["bucket"] = spec.bucket.name
        if spec.bucket.object is not None:
            target["key"] = spec.bucket.object.key
    if spec.signer is not None:
        snap["signer"] = signer_part(spec.signer)
    if spec.cloudfront is not None:
        if spec.bucket is None:
            raise ValueError("cloudfront: the case has no bucket for the distributions to serve")
        snap["cloudfront"] = cloudfront_part(spec.cloudfront, spec.bucket)
    snap["caller"] = {"Account": principal_account or (spec.bucket.account if spec.bucket else "111122223333")}
    snap["kms"] = {k.arn: key_part(k) for k in spec.kms}
    if spec.kms:
        target["kms_key_arns"] = [k.arn for k in spec.kms]
    orgs: dict[str, Any] = {}
    for which, org in spec.organization.items():
        account = principal_account if which == "principal_account" else (spec.bucket.account if spec.bucket else None)
        if account is None:
            raise ValueError(f"organization.{which}: the case has no such account")
        orgs[which] = organization_part(account, org)
    for which, account in (
        ("principal_account", principal_account),
        ("resource_account", spec.bucket.account if spec.bucket else None),
    ):
        if account is not None and which not in orgs:
            orgs[which] = organization_part(account, OrgSpec(member=False))
    snap["organization"] = orgs
    if spec.vpc_endpoint is not None:
        v = spec.vpc_endpoint
        endpoint: dict[str, Any] = {"VpcEndpointId": v.id, "VpcEndpointType": "Gateway", "OwnerId": v.account}
        endpoint["PolicyDocument"] = json.dumps(v.policy if v.policy is not None else _FULL_ACCESS)
        snap["vpc_endpoint"] = {
            "id": v.id,
            "account": v.account,
            "calls": {"DescribeVpcEndpoints": {"VpcEndpoints": [endpoint]}},
        }
        target["vpce_id"] = v.id
    if spec.access_point is not None:
        a = spec.access_point
        region = spec.bucket.region if spec.bucket else "us-east-1"
        ap_arn = f"arn:aws:s3:{region}:{a.account}:accesspoint/{a.name}"
        info: dict[str, Any] = {
            "Name": a.name,
            "Bucket": spec.bucket.name if spec.bucket else "",
            "NetworkOrigin": a.network_origin,
            "AccessPointArn": ap_arn,
            "PublicAccessBlockConfiguration": PublicAccessBlock(
                BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True
            ).model_dump(),
        }
        if a.vpc_id:
            info["VpcConfiguration"] = {"VpcId": a.vpc_id}
        snap["access_point"] = {
            "arn": ap_arn,
            "name": a.name,
            "account": a.account,
            "calls": {
                "GetAccessPoint": info,
                "GetAccessPointPolicy": {"Policy": json.dumps(a.policy)}
                if a.policy is not None
                else error("NoSuchAccessPointPolicy", "The access point policy does not exist"),
            },
        }
        target["access_point_arn"] = ap_arn
    snap["target"] = target
    return snap
