"""Workloads shared by the benchmarks: a worst-case Slack message, a realistic policy set, generated cases."""

from __future__ import annotations

import random
from typing import Any

ACCT, OTHER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{ACCT}:role/data-pipeline"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/data-pipeline/run-42"


def slack_message_40k() -> str:
    """A 40,000-character Slack message: a long log paste with Slack escaping, several errors, a secret."""
    parts = [
        "```",
        "2024-05-01T10:00:00Z INFO worker started &lt;pid=4242&gt; &amp; ready",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    ]
    noise = (
        "2024-05-01T10:00:{:02d}Z DEBUG fetching s3://lake-raw/events/dt=2024-05-01/part-{:05d}.parquet "
        "via https://lake-raw.s3.eu-west-1.amazonaws.com/events/part-{:05d} user arn:aws:iam::111122223333:user/x"
    )
    errors = [
        "upload failed: ./out/part-{i}.parquet to s3://curated-zone/events/part-{i}.parquet An error occurred "
        "(AccessDenied) when calling the PutObject operation: User: arn:aws:sts::111122223333:assumed-role/etl/i-0ab "
        'is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::curated-zone/events/part-{i}.parquet" '
        "because no resource-based policy allows the s3:PutObject action",
        "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; "
        "Error Code: AccessDenied; Request ID: 1AC7FB214CD4{i:04d}; S3 Extended Request ID: abc=)",
    ]
    i = 0
    while sum(len(p) + 1 for p in parts) < 40_000:
        parts.append(noise.format(i % 60, i, i))
        if i % 40 == 0:
            parts.append(errors[(i // 40) % 2].format(i=i))
        i += 1
    parts.append("```")
    return "\n".join(parts)[:40_000]


def _bucket_policy(n: int = 30) -> dict[str, Any]:
    rnd = random.Random(1)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::data-lake", "arn:aws:s3:::data-lake/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutsideOrg",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::data-lake", "arn:aws:s3:::data-lake/*"],
            "Condition": {
                "StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"},
                "Bool": {"aws:PrincipalIsAWSService": "false"},
            },
        },
    ]
    while len(statements) < n:
        k = len(statements)
        team = rnd.choice(["red", "blue", "green", "ops", "ml"])
        statements.append(
            {
                "Sid": f"Team{k}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{rnd.choice([ACCT, OTHER])}:role/team-{team}-{k}"},
                "Action": rnd.choice([["s3:GetObject"], ["s3:PutObject", "s3:GetObject"], ["s3:ListBucket"]]),
                "Resource": [f"arn:aws:s3:::data-lake/{team}/*", "arn:aws:s3:::data-lake"],
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/team": team},
                    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
                },
            }
        )
    statements.append(
        {
            "Sid": "PipelineReadWrite",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::data-lake/raw/*",
            "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def realistic_case() -> dict[str, Any]:
    """3 identity policies, a boundary, 2 SCP levels and a 30-statement bucket policy with conditions."""
    identity = [
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::data-lake",
                 "Condition": {"StringLike": {"s3:prefix": ["raw/*", ""]}}},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data-lake/raw/*"},
            ],
        },
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                 "Resource": f"arn:aws:kms:eu-west-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
                {"Effect": "Deny", "Action": "s3:DeleteObject*", "Resource": "*"},
            ],
        },
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::shared-*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-lake/home/${aws:username}/*"},
            ],
        },
    ]  # fmt: skip
    boundary = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutBucketPolicy", "Resource": "*"},
        ],
    }
    scp_root = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    scp_ou = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}},
        ],
    }  # fmt: skip
    return {
        "principal": SESSION,
        "action": "s3:PutObject",
        "resource": "arn:aws:s3:::data-lake/raw/2024/05/01/events.parquet",
        "resource_owner": ACCT,
        "identity_policies": identity,
        "permissions_boundary": boundary,
        "scps": [[scp_root], [scp_ou]],
        "resource_policy": _bucket_policy(30),
        "context": {
            "aws:SecureTransport": "true",
            "aws:PrincipalOrgID": "o-abc123",
            "aws:PrincipalIsAWSService": "false",
            "aws:RequestedRegion": "eu-west-1",
            "aws:SourceIp": "10.1.2.3",
            "aws:PrincipalTag/team": "red",
            "s3:x-amz-server-side-encryption": "aws:kms",
        },
    }


def generated_cases(n: int = 3000, seed: int = 7) -> list[dict[str, Any]]:
    """Varied requests over the realistic policy set (shared documents, as in a real account)."""
    rnd = random.Random(seed)
    base = realistic_case()
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "kms:Decrypt"]
    principals = [SESSION, f"arn:aws:iam::{ACCT}:user/analyst", f"arn:aws:sts::{OTHER}:assumed-role/team-red-5/s"]
    cases = []
    for _ in range(n):
        case = dict(base)
        case["action"] = rnd.choice(actions)
        case["principal"] = rnd.choice(principals)
        prefix = rnd.choice(["raw", "red", "blue", "home/analyst", "curated"])
        case["resource"] = (
            "arn:aws:s3:::data-lake"
            if case["action"] == "s3:ListBucket"
            else f"arn:aws:s3:::data-lake/{prefix}/obj-{rnd.randint(0, 999)}.parquet"
        )
        ctx = dict(base["context"])
        ctx["aws:SecureTransport"] = rnd.choice(["true", "true", "false"])
        ctx["aws:SourceIp"] = rnd.choice(["10.1.2.3", "203.0.113.9"])
        ctx["aws:PrincipalTag/team"] = rnd.choice(["red", "blue", "ops"])
        case["context"] = ctx
        cases.append(case)
    return cases
