"""Answers that claim only what they checked, in Slack (issue 19 §3, §4): signed requests to the real Bolt app, the
fake Web API, moto and a real Redis. A Null check's operand is never shown as a value of its key, conditions read
as words (no Python list syntax), a CloudTrail record behind a VPC endpoint has no aws:SourceIp, and the headline
never names an Allow."""

from __future__ import annotations

import json
from typing import Any

from bot.demo.scenarios import allow, bucket, doc, role
from tests.account.conftest import OWN
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed

SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"


def _answer(h: Harness, text: str, event_id: str) -> list[dict[str, Any]]:
    assert post_signed(h.endpoint, SECRET, event(message(text), event_id=event_id), "application/json")[0] == 200
    blocks: list[dict[str, Any]] = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return blocks


def test_a_null_checks_operand_is_never_shown_as_the_headers_value(harness: Harness) -> None:
    role(allow("s3:PutObject", "arn:aws:s3:::sse-only/*"))
    s3 = bucket("sse-only")
    s3.put_bucket_policy(Bucket="sse-only", Policy=doc({
        "Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::sse-only/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}))  # fmt: skip
    paste = (
        "upload failed: ./a.txt to s3://sse-only/a.txt An error occurred (AccessDenied) when calling the PutObject "
        f"operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::sse-only/a.txt" with an explicit deny in a resource-based policy'
    )
    text = json.dumps(_answer(harness, paste, "HcNullOperand"))
    assert "DenyUnencrypted" in text
    assert "s3:x-amz-server-side-encryption absent (Null: true)" in text
    assert "[\\u0027" not in text and "['" not in text  # no Python list in prose
    assert "were `true`" not in text and "= true" not in text  # "true" is the Null operand, not an encryption type
    assert "AES256" in text  # a value S3's model accepts for the header


def test_a_cloudtrail_record_through_a_vpc_endpoint_has_no_source_ip(harness: Harness) -> None:
    role(allow("s3:GetObject", "arn:aws:s3:::office-data/*"))
    s3 = bucket("office-data", objects={"a.txt": b"x"})
    s3.put_bucket_policy(Bucket="office-data", Policy=doc({
        "Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::office-data/*", "Condition": {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}}))  # fmt: skip
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": SESSION, "accountId": OWN},
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.1.2.3",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "requestParameters": {"bucketName": "office-data", "key": "a.txt"},
        "vpcEndpointId": "vpce-0a1b2c3d4e5f67890",
        "tlsDetails": {"tlsVersion": "TLSv1.3"},
    }
    blocks = _answer(harness, json.dumps(record, indent=2), "HcVpceSourceIp")
    text = json.dumps(blocks)
    assert "OfficeOnly" in blocks[0]["text"]["text"]
    # Through the endpoint aws:SourceIp is absent (its private address is aws:VpcSourceIp): that is why it matched.
    assert "the request has absent" in text, text
    assert "the request has 10.1.2.3" not in text
    assert "if `aws:SourceIp` were `198.51.100.0/24`" not in text  # impossible through an endpoint


def test_the_headline_never_names_an_allow_whose_condition_missed(harness: Harness) -> None:
    partner = "arn:aws:iam::444455556666:role/partner"  # another account's role: only the bucket policy is seen
    s3 = bucket("vpce-only", objects={"a.txt": b"x"})
    s3.put_bucket_policy(Bucket="vpce-only", Policy=doc({
        "Sid": "PartnerThroughEndpoint", "Effect": "Allow", "Principal": {"AWS": partner},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vpce-only/*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1111"}}}))  # fmt: skip
    paste = (
        "download failed: s3://vpce-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject "
        "operation: User: arn:aws:sts::444455556666:assumed-role/partner/s1 is not authorized to perform: "
        's3:GetObject on resource: "arn:aws:s3:::vpce-only/a.txt" because no resource-based policy allows the '
        "s3:GetObject action"
    )
    blocks = _answer(harness, paste, "HcNearAllow")
    head = blocks[0]["text"]["text"]
    assert "`bucket-policy`" in head and "no statement allows it" in head, head
    assert "PartnerThroughEndpoint" not in head, head
    assert "PartnerThroughEndpoint" in json.dumps(blocks)  # the near miss is still shown, below the headline


def test_a_bucket_that_refuses_public_acls_shows_the_uploads_acl_as_a_branch(harness: Harness) -> None:
    role(allow("s3:PutObject", "arn:aws:s3:::no-public/*"))
    s3 = bucket("no-public")
    s3.put_public_access_block(
        Bucket="no-public",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    paste = (
        "upload failed: ./a.txt to s3://no-public/a.txt An error occurred (AccessDenied) when calling the PutObject "
        f"operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::no-public/a.txt"'
    )
    blocks = _answer(harness, paste, "HcBpaBranch")
    head = blocks[0]["text"]["text"]
    assert head.startswith("*Undecided") and "`block-public-access`" in head, head
    text = json.dumps(blocks)
    assert "denied by BlockPublicAcls (bucket level) with s3:x-amz-acl = public-read" in text


def test_an_identity_center_session_and_a_policy_naming_its_older_role_are_told(harness: Harness) -> None:
    from bot.demo.emulator import client

    iam = client("iam")
    path = "/aws-reserved/sso.amazonaws.com/eu-west-2/"
    iam.create_role(RoleName="AWSReservedSSO_DataEng_2222222222222222", Path=path, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{OWN}:saml-provider/AWSSSO_x_DO_NOT_DELETE"},
         "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}))  # fmt: skip
    old = f"arn:aws:iam::{OWN}:role{path}AWSReservedSSO_DataEng_1111111111111111"
    s3 = bucket("eng-data", objects={"a.txt": b"x"})
    s3.put_bucket_policy(Bucket="eng-data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DataEngineers", "Effect": "Allow", "Principal": {"AWS": old}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::eng-data/*"}]}))  # fmt: skip
    session = f"arn:aws:sts::{OWN}:assumed-role/AWSReservedSSO_DataEng_2222222222222222/alice@example.com"
    paste = (
        "download failed: s3://eng-data/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject "
        f"operation: User: {session} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::eng-data/a.txt" because no identity-based policy allows the s3:GetObject action'
    )
    text = json.dumps(_answer(harness, paste, "HcSsoSession"))
    assert "an IAM Identity Center session of permission set DataEng" in text
    assert "names AWSReservedSSO_DataEng_1111111111111111, an earlier role of this permission set" in text


def test_when_nothing_s3why_read_denies_it_the_unread_layers_are_named_as_suspects(harness: Harness) -> None:
    partner = "arn:aws:iam::444455556666:role/partner"  # an account s3why has no role in: its policies are unread
    s3 = bucket("shared-data", objects={"a.txt": b"x"})
    s3.put_bucket_policy(Bucket="shared-data", Policy=doc({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": partner}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared-data/*"}))  # fmt: skip
    paste = (
        "download failed: s3://shared-data/a.txt to ./a.txt An error occurred (AccessDenied) when calling the "
        "GetObject operation: User: arn:aws:sts::444455556666:assumed-role/partner/s1 is not authorized to perform: "
        's3:GetObject on resource: "arn:aws:s3:::shared-data/a.txt"'
    )
    blocks = _answer(harness, paste, "HcSuspects")
    assert blocks[0]["text"]["text"].startswith("*Undecided"), blocks[0]
    text = json.dumps(blocks)
    assert "the suspects are what it could not read" in text and "`identity`" in text, text
    assert "every layer s3why can see allows" not in text
