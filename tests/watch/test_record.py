"""A CloudTrail record -> the denied request, its stated context by AWS's condition-key rules, or why ignored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.watch.messages import read_log_file, unpack
from bot.watch.record import Ignored, WatchEvent, read_event
from tests.watch.support import eventbridge, gzipped_log, log_file, record, s3_notification


def _event(rec: dict[str, object]) -> WatchEvent:
    found = read_event(rec)
    assert isinstance(found, WatchEvent), found
    return found


def test_a_role_session_groups_under_its_role_with_the_path() -> None:
    rec = record(role="etl", session="run-9")
    rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = "arn:aws:iam::123456789012:role/jobs/etl"
    e = _event(rec)
    assert e.caller == "arn:aws:iam::123456789012:role/jobs/etl"
    assert e.session == "arn:aws:sts::123456789012:assumed-role/etl/run-9"
    assert (e.request.operation, e.request.action) == ("GetObject", "s3:GetObject")
    assert (e.request.bucket, e.request.key) == ("lake", "raw/2026/12/03/part-0.parquet")


def test_through_a_vpc_endpoint_the_address_is_aws_vpcsourceip_not_aws_sourceip() -> None:
    e = _event(record(vpcEndpointId="vpce-0abc1234", vpcEndpointAccountId="123456789012", sourceIPAddress="10.0.1.7"))
    ctx = e.request.context
    assert ctx["aws:SourceVpce"] == ["vpce-0abc1234"]
    assert ctx["aws:VpcSourceIp"] == ["10.0.1.7"]
    assert "aws:SourceIp" not in ctx


def test_without_an_endpoint_the_address_is_aws_sourceip() -> None:
    ctx = _event(record()).request.context
    assert ctx["aws:SourceIp"] == ["203.0.113.10"]
    assert "aws:SourceVpce" not in ctx and "aws:VpcSourceIp" not in ctx


def test_a_call_an_aws_service_made_for_the_caller_states_no_source_ip() -> None:
    rec = record(sourceIPAddress="athena.amazonaws.com")
    rec["userIdentity"]["invokedBy"] = "athena.amazonaws.com"
    assert "aws:SourceIp" not in _event(rec).request.context


@pytest.mark.parametrize(
    ("changes", "stated"),
    [
        ({}, ["true"]),
        ({"tlsDetails": None}, ["true"]),  # S3's additionalEventData.CipherSuite alone says TLS
        ({"tlsDetails": None, "additionalEventData": {"SignatureVersion": "SigV4"}}, None),  # says nothing
    ],
)
def test_tls_is_stated_only_where_the_record_shows_it(changes: dict[str, Any], stated: list[str] | None) -> None:
    ctx = _event(record(**changes)).request.context
    assert ctx.get("aws:SecureTransport") == stated


def test_tls_version_and_signature_keys() -> None:
    ctx = _event(record()).request.context
    assert ctx["s3:TlsVersion"] == ["1.3"]
    assert ctx["s3:signatureversion"] == ["AWS4-HMAC-SHA256"] and ctx["s3:authType"] == ["REST-HEADER"]


@pytest.mark.parametrize(
    ("rec", "reason"),
    [
        (record(error_code=None), "not-a-denial"),
        (record(error_code="NoSuchKey"), "not-a-denial"),
        (record(source="ec2.amazonaws.com", event_name="RunInstances"), "not-s3-or-kms"),
        (record(source="kms.amazonaws.com", event_name="Decrypt"), "kms-not-s3"),
        ({"eventSource": "s3.amazonaws.com"}, "malformed"),
        ("not a record", "malformed"),
    ],
)
def test_what_is_ignored_says_why(rec: object, reason: str) -> None:
    assert read_event(rec) == Ignored(reason)


def test_a_kms_denial_s3_made_for_the_caller_is_the_s3_request() -> None:
    rec = record(source="kms.amazonaws.com", event_name="Decrypt", error_code="AccessDenied")
    rec["requestParameters"] = {"encryptionContext": {"aws:s3:arn": "arn:aws:s3:::lake/raw/x.csv"}}
    e = _event(rec)
    assert (e.request.operation, e.request.bucket, e.request.key) == ("GetObject", "lake", "raw/x.csv")


@pytest.mark.parametrize(
    ("changes", "noise"),
    [
        ({"userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"}}, "aws-service"),
        ({"event_name": "GetBucketPolicy", "sessionCredentialFromConsole": "true"}, "console-probe"),
        ({"event_name": "GetBucketAcl", "userAgent": "AWS Internal"}, "console-probe"),
        ({"sessionCredentialFromConsole": "true"}, None),  # a person's download from the console is real
    ],
)
def test_known_noise(changes: dict[str, Any], noise: str | None) -> None:
    name = str(changes.pop("event_name", "GetObject"))
    rec = record(event_name=name, **changes)
    assert _event(rec).noise == noise


def test_a_service_linked_role_is_noise() -> None:
    rec = record(role="AWSServiceRoleForReplication")
    rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = (
        "arn:aws:iam::123456789012:role/aws-service-role/replication.s3.amazonaws.com/AWSServiceRoleForReplication"
    )
    assert _event(rec).noise == "service-linked-role"


def test_the_four_message_shapes_and_foreign_ones() -> None:
    rec = record()
    assert unpack(eventbridge(rec)).records == (rec,)
    assert unpack(json.dumps(rec)).records == (rec,)
    assert unpack(log_file(rec, rec)).records == (rec, rec)
    n = unpack(s3_notification("trail-logs", "AWSLogs/o-1/123456789012/CloudTrail/us-east-1/2026/12/03/a b.json.gz"))
    assert n.log_objects[0].key.endswith("/a b.json.gz") and n.shape == "s3-notification"
    assert read_log_file(gzipped_log(rec)) == (rec,)
    for body in ("{not json", "[1, 2]", json.dumps({"detail-type": "EC2 Instance State-change", "detail": {}}),
                 json.dumps({"Event": "s3:TestEvent"}), json.dumps({"hello": "world"})):  # fmt: skip
        assert unpack(body).foreign is not None, body


def test_a_log_object_that_is_not_a_log_file_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a CloudTrail log file"):
        read_log_file(b"\x1f\x8b" + b"garbage")


def test_a_forged_recipient_account_is_ignored_and_cross_account_is_kept() -> None:
    forged = record()
    forged["recipientAccountId"] = "999999999999"  # neither the caller's account nor the bucket owner's
    assert read_event(forged) == Ignored("account-mismatch")
    cross = record(account="222222222222")  # a caller from 222222222222 denied on a bucket 123456789012 owns
    cross["resources"][1]["accountId"] = "123456789012"
    cross["recipientAccountId"] = "123456789012"  # the bucket owner's copy of the event
    assert _event(cross).account == "123456789012"


@pytest.mark.parametrize(
    "issuer",
    [
        "arn:aws:iam::999999999999:role/etl",  # another account
        "arn:aws:iam::123456789012:role/admin",  # another role
        "arn:aws:iam::123456789012:user/etl",  # not a role
        12,
    ],
)
def test_a_session_issuer_that_is_not_the_sessions_role_is_ignored(issuer: object) -> None:
    rec = record(role="etl")
    rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = issuer
    assert read_event(rec) == Ignored("issuer-mismatch")
