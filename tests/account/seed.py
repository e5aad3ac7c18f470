"""Seeds the emulated account with real-shaped configuration (through boto3, as an operator would)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import boto3

from tests.account.conftest import OWN, client, policy_json

ROLE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


@dataclass
class Seeded:
    role_arn: str
    session_arn: str
    user_arn: str
    bucket: str
    key: str
    kms_key_arn: str
    vpce_id: str
    policy_arn: str
    boundary_arn: str


def seed_everything(session: boto3.Session | None = None) -> Seeded:
    iam = client("iam", session=session)
    s3 = client("s3", session=session)
    kms = client("kms", session=session)
    ec2 = client("ec2", session=session)
    s3control = client("s3control", session=session)

    managed = iam.create_policy(
        PolicyName="app-read",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-lake/*"}
        ),
    )["Policy"]["Arn"]
    boundary = iam.create_policy(
        PolicyName="boundary", PolicyDocument=policy_json({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )["Policy"]["Arn"]
    role = iam.create_role(
        RoleName="app", Path="/service/", AssumeRolePolicyDocument=ROLE_TRUST, PermissionsBoundary=boundary,
        Tags=[{"Key": "team", "Value": "red"}],
    )["Role"]["Arn"]  # fmt: skip
    iam.put_role_policy(
        RoleName="app",
        PolicyName="write-raw",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data-lake/raw/*"}
        ),
    )
    iam.attach_role_policy(RoleName="app", PolicyArn=managed)

    iam.create_user(UserName="alice")
    iam.create_group(GroupName="analysts")
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    iam.put_group_policy(
        GroupName="analysts",
        PolicyName="list",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-lake"}
        ),
    )
    iam.put_user_policy(
        UserName="alice",
        PolicyName="own",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-lake/home/alice/*"}
        ),
    )
    iam.attach_group_policy(GroupName="analysts", PolicyArn=managed)

    key = kms.create_key(Description="data-lake key")["KeyMetadata"]
    kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=policy_json(
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
    )
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=role, Operations=["Decrypt"])

    s3.create_bucket(Bucket="data-lake", ObjectLockEnabledForBucket=True)
    # The object first: moto enforces bucket policies, and the emulator speaks plain HTTP.
    s3.put_object(
        Bucket="data-lake", Key="raw/events.json", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    s3.put_object_retention(
        Bucket="data-lake",
        Key="raw/events.json",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)},
    )
    s3.put_bucket_policy(
        Bucket="data-lake",
        Policy=policy_json(
            {"Sid": "DenyOutsideVpce", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::data-lake/restricted/*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
        ),
    )  # fmt: skip
    s3.put_bucket_ownership_controls(
        Bucket="data-lake", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_public_access_block(
        Bucket="data-lake",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket="data-lake",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3control.put_public_access_block(
        AccountId=OWN,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.s3",
        VpcEndpointType="Gateway",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data-lake/*"}
        ),
    )["VpcEndpoint"]["VpcEndpointId"]
    return Seeded(
        role_arn=role,
        session_arn=f"arn:aws:sts::{OWN}:assumed-role/app/i-0abc",
        user_arn=f"arn:aws:iam::{OWN}:user/alice",
        bucket="data-lake",
        key="raw/events.json",
        kms_key_arn=key["Arn"],
        vpce_id=vpce,
        policy_arn=managed,
        boundary_arn=boundary,
    )


def seed_organization(session: boto3.Session | None = None) -> dict[str, Any]:
    org = client("organizations", session=session)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = org.create_policy(
        Name="deny-delete",
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=policy_json({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=root)
    return {"root": root, "scp": scp}
