"""AWS's record of the denial as evidence, through `s3why diagnose` (live: moto for AWS, the local iam-toolbox
fake for the record, botocore's real HTTP stack for both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bot.demo.emulator import OWN, client
from tests.account.toolbox_fake import EXPIRED, FORBIDDEN, FakeToolbox, record_details, toolbox

__all__ = ["toolbox"]  # the fixture

AUTH_ID = "k9j8h7g6f5e4d3c2"
BUCKET = "record-data"
KEY = "raw/a.csv"
ROLE = f"arn:aws:iam::{OWN}:role/app"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
GOOD_VPCE, USED_VPCE = "vpce-0bbbbbbbbbbbbbbbb", "vpce-0aaaaaaaaaaaaaaaa"
BUCKET_URI = f"arn:aws:s3:::{BUCKET}/bucket-policy"
IDENTITY_URI = f"{ROLE}/inline/read-raw"
TEXT = (
    f"An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized to "
    f'perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/{KEY}" with an explicit deny in a resource-based '
    "policy"
)


def bucket_policy(vpce: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyOutsideVpce",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}},
            }
        ],
    }


IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            # Only through the team's endpoint: without the record, s3why cannot know which one was used.
            "Condition": {"StringEquals": {"aws:SourceVpce": [USED_VPCE, GOOD_VPCE]}},
        }
    ],
}


def seed_account(today_vpce: str = GOOD_VPCE) -> None:
    iam = client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="app", PolicyName="read-raw", PolicyDocument=json.dumps(IDENTITY))
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(bucket_policy(today_vpce)))


def seed_record(fake: FakeToolbox, *, check: str = "RESOURCE", effect: str = "EXPLICIT_DENY", **kw: Any) -> None:
    checks = [
        {"checkType": check, "evaluatedEffect": effect,
         "matchedPolicies": [{"uri": BUCKET_URI, "matchedStatements": [{"sid": "DenyOutsideVpce",
                                                                        "evaluatedEffect": "DENY"}]}]
         if check == "RESOURCE" else []},
    ]  # fmt: skip
    if check != "PRINCIPAL":
        checks.append(
            {"checkType": "PRINCIPAL", "evaluatedEffect": "ALLOW", "matchedPolicies": [{"uri": IDENTITY_URI}]}
        )
    details = record_details(
        action="s3:GetObject",
        resource=f"arn:aws:s3:::{BUCKET}/{KEY}",
        effect=effect,
        context={"aws:SourceVpce": USED_VPCE, "aws:SecureTransport": True, "aws:SourceIp": "10.1.2.3"},
        checks=checks,
        policies=[
            {"type": "RESOURCE_BASED_POLICY", "inline": True, "uri": BUCKET_URI,
             "attachedTo": [{"arn": f"arn:aws:s3:::{BUCKET}"}]},
            {"type": "IDENTITY_BASED_POLICY", "inline": True, "uri": IDENTITY_URI, "attachedTo": [{"arn": ROLE}]},
        ],
    )  # fmt: skip
    fake.add(AUTH_ID, details, {BUCKET_URI: bucket_policy(GOOD_VPCE), IDENTITY_URI: IDENTITY}, **kw)


def diagnose(*args: str, json_out: bool = True) -> Any:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # an in-process cache: nothing left behind
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "diagnose",
            "--authorization-id",
            AUTH_ID,
            *args,
            *(["--json"] if json_out else []),
        ],
        input=TEXT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    if not json_out:
        return proc.stdout
    (d,) = json.loads(proc.stdout)["diagnoses"]
    return d


def verdicts(d: dict[str, Any]) -> dict[str, str]:
    return {layer["layer"]: layer["verdict"] for layer in d["layers"]}


def test_a_found_record_settles_the_context_and_confirms_the_cause(moto: str, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox)
    d = diagnose()
    record = d["request"]["aws_record"]
    assert record["available"] is True and record["agreement"] == "confirmed", record
    # The endpoint AWS saw answers the identity policy's condition: no "which endpoint?" left open.
    assert verdicts(d)["identity"] == "allow", d["layers"]
    assert d["decision"] == "explicit-deny"
    first = d["root_causes"][0]
    assert first["layer"] == "bucket-policy" and first["evidence"]["aws_record"] == "confirmed"
    assert record["denying_checks"][0]["matched"][0]["statements"][0]["sid"] == "DenyOutsideVpce"
    assert "changed_since_denial" not in record
    # The record answers which endpoint was used: the evidence shows AWS's value, not an unknown.
    assert first["evidence"]["condition"]["request_values"] == [USED_VPCE]
    text = diagnose(json_out=False)
    assert "confirmed by AWS's record" in text and AUTH_ID in text


def test_a_disagreement_is_said_plainly_naming_both(moto: str, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, check="PRINCIPAL", effect="IMPLICIT_DENY")
    d = diagnose()
    record = d["request"]["aws_record"]
    assert record["agreement"] == "disagreement"
    assert "AWS's record says" in record["summary"] and "s3why's own evaluation" in record["summary"]
    assert "identity-based policies" in record["summary"] and "bucket-policy" in record["summary"]
    assert (
        d["root_causes"][0]["layer"] == "identity" and d["root_causes"][0]["evidence"]["aws_record"] == "disagreement"
    )


def test_a_policy_changed_since_the_denial_is_shown_as_a_diff(moto: str, toolbox: FakeToolbox) -> None:
    seed_account(today_vpce="vpce-0ccccccccccccccccc")
    seed_record(toolbox)
    d = diagnose()
    (change,) = d["request"]["aws_record"]["changed_since_denial"]
    assert change["policy"] == BUCKET_URI and change["layer"] == "bucket-policy"
    assert f'-          "aws:SourceVpce": "{GOOD_VPCE}"' in change["diff"]
    assert '+          "aws:SourceVpce": "vpce-0ccccccccccccccccc"' in change["diff"]
    # Fixes are computed on today's policy.
    targets = [p["target"] for f in d["fixes"] for p in f["patches"] if p["kind"] == "bucket-policy"]
    docs = [p["document"] for f in d["fixes"] for p in f["patches"] if p["kind"] == "bucket-policy" and p["document"]]
    assert all(BUCKET in t for t in targets)
    assert all("vpce-0bbbbbbbbbbbbbbbb" not in json.dumps(doc) for doc in docs)
    text = diagnose(json_out=False)
    assert "changed since the denial" in text and "may already be gone" in text


def test_an_expired_record_leaves_one_line_and_the_diagnosis_goes_on(moto: str, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, state=EXPIRED)
    d = diagnose()
    record = d["request"]["aws_record"]
    assert record["available"] is False and "expired" in record["reason"]
    assert d["decision"] == "explicit-deny" and d["root_causes"][0]["layer"] == "bucket-policy"
    assert "no AWS record: " in diagnose(json_out=False)
    # Without the record the endpoint is unknown.
    assert d["root_causes"][0]["evidence"]["condition"]["request_values"] is None


def test_a_forbidden_record_names_the_missing_permission(moto: str, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, state=FORBIDDEN)
    d = diagnose()
    assert "iam:GetRequestAuthorizationDetails" in d["request"]["aws_record"]["reason"]
    assert d["decision"] == "explicit-deny"


def test_a_denial_already_fixed_today_is_unknown_not_allow(moto: str, toolbox: FakeToolbox) -> None:
    seed_account(today_vpce=USED_VPCE)  # the bucket policy now admits the endpoint the request used
    seed_record(toolbox)
    d = diagnose()
    record = d["request"]["aws_record"]
    assert record["agreement"] == "disagreement" and "s3why's own evaluation" in record["summary"]
    assert d["decision"] == "unknown"  # AWS recorded a denial: never "allow"
    # The text's own evidence (an explicit deny in a resource-based policy) and AWS's record point at the bucket.
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    (change,) = record["changed_since_denial"]
    assert change["layer"] == "bucket-policy"
