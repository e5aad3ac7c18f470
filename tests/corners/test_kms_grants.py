"""KMS grants as AWS applies them: a grant's constraints must hold for S3's encryption context, and a grant does
not lift an SCP that does not allow the KMS action (tester3 report, D3).

KMS Developer Guide, "Using grant constraints": EncryptionContextSubset "allows the operation only when the
encryption context in the request includes the encryption context specified in the constraint";
EncryptionContextEquals "only when the encryption context in the request is an exact, case-sensitive match".
S3 sends `aws:s3:arn` = the object's ARN (the bucket's with an S3 Bucket Key). IAM User Guide, "Policy evaluation
logic": an SCP that does not allow an action denies it to the account's principals, however it is granted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.corners.support import (
    BUCKET,
    KEY,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    in_org,
    not_in_org,
    role_part,
    snapshot,
    verdicts,
)

KEY_ARN = f"arn:aws:kms:us-east-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{OWNER}:role/app"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/app/run-1"
OBJECT_ARN = f"arn:aws:s3:::{BUCKET}/{KEY}"
TEXT = (
    f"download failed: s3://{BUCKET}/{KEY} to ./report.csv An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied"
)


def _snap(grant: dict[str, Any], *, organization: dict[str, Any] | None = None) -> dict[str, Any]:
    identity = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}],
    }
    bucket = bucket_part()
    bucket["object"]["calls"]["HeadObject"] = {
        "ContentLength": 10,
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": KEY_ARN,
    }
    # The key policy names only an administrator: the grant is the only way the role may use the key.
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWNER}:role/admin"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    kms = {
        KEY_ARN: {
            "account": OWNER,
            "calls": {
                "DescribeKey": {
                    "KeyMetadata": {
                        "AWSAccountId": OWNER,
                        "Arn": KEY_ARN,
                        "KeyState": "Enabled",
                        "KeyManager": "CUSTOMER",
                    }
                },
                "GetKeyPolicy": {"Policy": json.dumps(key_policy)},
                "ListGrants": {"Grants": [{"KeyId": KEY_ARN, "GrantId": "g-1", **grant}], "Truncated": False},
            },
        }
    }
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"app": identity}),
        bucket=bucket,
        organization={"principal_account": organization or not_in_org(OWNER)},
        kms=kms,
    )
    snap["target"] = {"principal_arn": SESSION, "bucket": BUCKET, "key": KEY, "kms_key_arns": [KEY_ARN]}
    return snap


@pytest.mark.parametrize(
    ("constraints", "allowed"),
    [
        (None, True),
        ({"EncryptionContextSubset": {"aws:s3:arn": OBJECT_ARN}}, True),
        ({"EncryptionContextEquals": {"aws:s3:arn": OBJECT_ARN}}, True),
        # Another object's context: the grant does not cover this request.
        ({"EncryptionContextSubset": {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}/other/*"}}, False),
        ({"EncryptionContextSubset": {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}"}}, False),
        # Equals: one more pair than S3 sends.
        ({"EncryptionContextEquals": {"aws:s3:arn": OBJECT_ARN, "team": "data"}}, False),
    ],
)
def test_a_grant_allows_only_within_its_constraints(
    tmp_path: Path, constraints: dict[str, Any] | None, allowed: bool
) -> None:
    grant: dict[str, Any] = {"GranteePrincipal": ROLE, "Operations": ["Decrypt"]}
    if constraints is not None:
        grant["Constraints"] = constraints
    d = diagnose_snapshot(tmp_path, _snap(grant), TEXT, "--principal", SESSION)
    if allowed:
        assert verdicts(d)["kms"] == "allow", d["layers"]
    else:
        assert verdicts(d)["kms"] == "no-allow", d["layers"]
        assert d["decision"] == "implicit-deny"
        assert d["root_causes"][0]["layer"] == "kms"


def test_a_grant_does_not_lift_an_scp_that_does_not_allow_the_kms_action(tmp_path: Path) -> None:
    s3_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    org = in_org(OWNER, scps=[], rcps=[])
    account_level = org["levels"][-1]
    account_level["SERVICE_CONTROL_POLICY"] = [
        {"Policy": {"PolicySummary": {"Id": "p-s3only", "Name": "s3-only"}, "Content": json.dumps(s3_only)}}
    ]
    grant = {"GranteePrincipal": ROLE, "Operations": ["Decrypt"]}
    d = diagnose_snapshot(tmp_path, _snap(grant, organization=org), TEXT, "--principal", SESSION)
    assert d["decision"] == "implicit-deny"
    cause = d["root_causes"][0]
    assert cause["layer"] == "scp" and cause["kind"] == "implicit", cause
    assert "kms:Decrypt" in cause["summary"]
    assert verdicts(d)["scp"] == "no-allow"
