"""In-memory snapshots (real-shaped AWS answers) for fix tests that need no emulator."""

from __future__ import annotations

import json
from typing import Any

OWN, OTHER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{OWN}:role/app"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run"
ABSENT = {
    "GetBucketOwnershipControls": {"Error": {"Code": "OwnershipControlsNotFoundError", "Message": ""}},
    "GetPublicAccessBlock": {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration", "Message": ""}},
    "GetBucketEncryption": {"Error": {"Code": "ServerSideEncryptionConfigurationNotFoundError", "Message": ""}},
    "GetObjectLockConfiguration": {"Error": {"Code": "ObjectLockConfigurationNotFoundError", "Message": ""}},
}


def snapshot(
    *,
    bucket: str = "data-bucket",
    key: str | None = "a/b.txt",
    identity: list[dict[str, Any]] | None = None,
    bucket_policy: dict[str, Any] | None = None,
    owner: str = OWN,
) -> dict[str, Any]:
    names = [f"p{i}" for i in range(len(identity or []))]
    calls: dict[str, Any] = {
        "GetBucketLocation": {"LocationConstraint": None},
        "GetBucketPolicy": {"Policy": json.dumps(bucket_policy)}
        if bucket_policy
        else {"Error": {"Code": "NoSuchBucketPolicy", "Message": ""}},
        "GetBucketAcl": {"Owner": {"ID": "owner-id"}, "Grants": []},
        "GetBucketRequestPayment": {"Payer": "BucketOwner"},
        **ABSENT,
    }
    bucket_part: dict[str, Any] = {
        "name": bucket,
        "account": owner,
        "region": "us-east-1",
        "calls": calls,
        "account_calls": {
            "GetPublicAccessBlock": {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration", "Message": ""}}
        },
    }
    if key is not None:
        bucket_part["object"] = {
            "key": key,
            "calls": {"HeadObject": {"ContentLength": 3}, "GetObjectAcl": {"Owner": {"ID": "owner-id"}, "Grants": []}},
        }
    return {
        "s3why_snapshot": 1,
        "caller": {"Account": OWN},
        "principal": {
            "arn": SESSION,
            "account": OWN,
            "kind": "role",
            "calls": {
                "GetRole": {"Role": {"Arn": ROLE, "RoleName": "app"}},
                "ListRolePolicies": {"PolicyNames": names},
                "ListAttachedRolePolicies": {"AttachedPolicies": []},
                "RolePolicies": {
                    n: {"PolicyName": n, "PolicyDocument": d} for n, d in zip(names, identity or [], strict=True)
                },
            },
        },
        "bucket": bucket_part,
    }


def error_text(operation: str, bucket: str, key: str | None) -> str:
    where = f"s3://{bucket}/{key}" if key is not None else f"s3://{bucket}"
    return (
        f"$ aws s3 ... {where}\nAn error occurred (AccessDenied) when calling the {operation} operation: Access Denied"
    )
