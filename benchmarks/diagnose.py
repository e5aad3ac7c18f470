"""Diagnoses per second from a snapshot (every layer, warm), and the share of time each layer takes."""

from __future__ import annotations

import cProfile
import pstats
import time
from typing import Any

from benchmarks.run import Row

ACCT, OTHER = "111122223333", "444455556666"
KEY = f"arn:aws:kms:eu-west-1:{OTHER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _snapshot() -> dict[str, Any]:
    """A cross-account SSE-KMS read with every layer present: boundary, SCPs, RCPs, endpoint, BPA, lock."""
    import json

    from benchmarks.workloads import _bucket_policy

    policy = _bucket_policy(30)
    policy["Statement"][-1]["Principal"] = {"AWS": f"arn:aws:iam::{ACCT}:role/data-pipeline"}
    policy["Statement"][-1]["Action"] = ["s3:GetObject"]
    policy["Statement"][-1].pop("Condition")
    for st in policy["Statement"]:
        st["Resource"] = [
            r.replace("data-lake", "partner-lake")
            for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
        ]
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
           {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}  # fmt: skip
    rcp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
           "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}]}  # fmt: skip

    def described(name: str, content: Any) -> Any:
        return {"Policy": {"PolicySummary": {"Id": f"p-{name}", "Name": name}, "Content": json.dumps(content)}}

    def org(account: str) -> Any:
        return {"account": account, "calls": {"DescribeOrganization": {"Organization": {"Id": "o-abc123", "MasterAccountId": "999999999999"}}},
                "levels": [{"target": "r-root", "SERVICE_CONTROL_POLICY": [described("FullAWSAccess", scp)], "RESOURCE_CONTROL_POLICY": [described("perimeter", rcp)]},
                           {"target": account, "SERVICE_CONTROL_POLICY": [described("FullAWSAccess", scp)], "RESOURCE_CONTROL_POLICY": []}]}  # fmt: skip

    pab = {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
    }
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-lake/*"},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}]}  # fmt: skip
    return {
        "s3why_snapshot": 1,
        "caller": {"Account": ACCT},
        "principal": {"arn": f"arn:aws:sts::{ACCT}:assumed-role/data-pipeline/run", "account": ACCT, "kind": "role", "calls": {
            "GetRole": {"Role": {"Arn": f"arn:aws:iam::{ACCT}:role/data-pipeline", "Tags": [{"Key": "team", "Value": "red"}],
                                 "PermissionsBoundary": {"PermissionsBoundaryArn": f"arn:aws:iam::{ACCT}:policy/boundary"}}},
            "ListRolePolicies": {"PolicyNames": ["read"]}, "ListAttachedRolePolicies": {"AttachedPolicies": []},
            "RolePolicies": {"read": {"PolicyName": "read", "PolicyDocument": identity}},
            "Policies": {f"arn:aws:iam::{ACCT}:policy/boundary": {"GetPolicy": {"Policy": {"DefaultVersionId": "v1"}},
                         "GetPolicyVersion": {"PolicyVersion": {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}]}}}}}}},
        "bucket": {"name": "partner-lake", "account": OTHER, "region": "eu-west-1", "calls": {
            "GetBucketLocation": {"LocationConstraint": "eu-west-1"}, "GetBucketPolicy": {"Policy": json.dumps(policy)},
            "GetBucketPolicyStatus": {"PolicyStatus": {"IsPublic": False}}, "GetBucketAcl": {"Owner": {"ID": "abc"}, "Grants": []},
            "GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
            "GetPublicAccessBlock": pab, "GetBucketEncryption": {"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}, "BucketKeyEnabled": True}]}},
            "GetObjectLockConfiguration": {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}, "GetBucketRequestPayment": {"Payer": "BucketOwner"},
            "GetBucketVersioning": {"Status": "Enabled"}},
            "account_calls": {"GetPublicAccessBlock": pab},
            "object": {"key": "raw/2024/events.parquet", "calls": {"HeadObject": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY, "BucketKeyEnabled": True},
                       "GetObjectAcl": {"Owner": {"ID": "abc"}, "Grants": []}}}},
        "kms": {KEY: {"account": OTHER, "calls": {"DescribeKey": {"KeyMetadata": {"KeyManager": "CUSTOMER", "KeyState": "Enabled"}},
                "GetKeyPolicy": {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:*", "Resource": "*"},
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/data-pipeline"}, "Action": "kms:Decrypt", "Resource": "*",
                     "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}]})},
                "ListGrants": {"Grants": []}}}},
        "vpc_endpoint": {"id": "vpce-1", "account": ACCT, "calls": {"DescribeVpcEndpoints": {"VpcEndpoints": [{"PolicyDocument": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})}]}}},
        "organization": {"principal_account": org(ACCT), "resource_account": org(OTHER)},
    }  # fmt: skip


def bench_diagnose() -> list[Row]:
    from bot.account.view import account_view
    from bot.diagnose import DiagnoseOptions, diagnose
    from bot.parse import parse_text

    snap = _snapshot()
    text = (
        "download failed: s3://partner-lake/raw/2024/events.parquet to ./e An error occurred (AccessDenied) when calling the "
        "GetObject operation: Access Denied"
    )
    (req,) = parse_text(text).requests
    options = DiagnoseOptions(
        principal=f"arn:aws:sts::{ACCT}:assumed-role/data-pipeline/run",
        context={"aws:SourceVpce": ("vpce-1",), "aws:PrincipalOrgID": ("o-abc123",), "aws:SecureTransport": ("true",)},
    )  # HTTPS is a fact here, not a branch
    view = account_view(snap)
    result = diagnose(req, view, options)
    assert result.decision == "allow", result.to_json()["root_causes"]
    n = 400
    start = time.perf_counter()
    for _ in range(n):
        diagnose(req, account_view(snap), options)
    per = (time.perf_counter() - start) / n
    # Share of time per layer, from a profile of the same loop.
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(100):
        diagnose(req, account_view(snap), options)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    parts = {"core grant (identity, bucket policy, SCP, RCP, endpoint, boundary)": "_authorize_core",
             "KMS": "_kms", "Block Public Access": "_block_public_access", "ownership and ACLs": "_ownership_and_acls",
             "Object Lock": "_object_lock", "account view (snapshot interpretation)": "account_view",
             "policy lookup (compiled once, then memoized)": "compiled_policy"}  # fmt: skip
    total = sum(v[3] for k, v in stats.items() if k[2] == "diagnose") + sum(
        v[3] for k, v in stats.items() if k[2] == "account_view"
    )
    shares = []
    for label, fn in parts.items():
        t = sum(v[3] for k, v in stats.items() if k[2] == fn)
        if t:
            shares.append(f"{label} {100 * t / total:.0f}%")
    return [
        (
            "diagnose",
            "warm, from a snapshot, every layer (cross-account SSE-KMS read)",
            f"{1 / per:,.0f} diagnoses/s ({per * 1000:.2f} ms each)",
        ),
        ("diagnose", "share of time per layer", "; ".join(shares)),
    ]
