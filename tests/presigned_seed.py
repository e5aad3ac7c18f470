"""A presigned-URL signer seeded in the emulated AWS: an IAM user (with a path) whose key signs real presigned URLs
with boto3, a bucket with one object, and a role that could read it (to prove --principal does not replace the
signer)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
from botocore.config import Config

from tests.account.conftest import OWN, client

BUCKET, KEY = "reports-bkt", "q3/summary.pdf"
USER_ARN = f"arn:aws:iam::{OWN}:user/apps/reporter"
ADMIN_ROLE = f"arn:aws:iam::{OWN}:role/s3-admin"
# The URL's host is S3's own (it is what people paste); boto3 signs it offline.
S3_HOST = "https://s3.us-east-1.amazonaws.com"
DENIED = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>"


@dataclass(frozen=True)
class SignerSeed:
    access_key_id: str
    secret: str

    def presign(self, expires: int = 3600, method: str = "get_object", version: str = "s3v4") -> str:
        """A real presigned URL (SigV4 `s3v4`, or SigV2 `s3`) for the seeded object."""
        session = boto3.Session(aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret)
        config = Config(signature_version=version)
        s3 = session.client("s3", region_name="us-east-1", endpoint_url=S3_HOST, config=config)
        return str(s3.generate_presigned_url(method, Params={"Bucket": BUCKET, "Key": KEY}, ExpiresIn=expires))


def _doc(action: str, resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


def seed_signer(*, can_read: bool = False) -> SignerSeed:
    """The user `apps/reporter` may list the bucket (and read it when `can_read`); the role s3-admin may do anything
    in S3 (its trust policy lets the account assume it)."""
    s3, iam = client("s3"), client("iam")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"q3")
    iam.create_user(UserName="reporter", Path="/apps/")
    iam.put_user_policy(
        UserName="reporter", PolicyName="list", PolicyDocument=_doc("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")
    )
    if can_read:
        iam.put_user_policy(
            UserName="reporter", PolicyName="read", PolicyDocument=_doc("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")
        )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="s3-admin", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="s3-admin", PolicyName="all", PolicyDocument=_doc("s3:*", "*"))
    key = iam.create_access_key(UserName="reporter")["AccessKey"]
    return SignerSeed(key["AccessKeyId"], key["SecretAccessKey"])
