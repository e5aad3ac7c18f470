"""Requests through a Multi-Region Access Point or an access point alias: the access point's (or Multi-Region Access
Point's) policy and the underlying bucket's both decide; a same-account request through a Multi-Region Access
Point needs only the IAM policy (S3 User Guide, Multi-Region Access Points, "Permissions"; "Referencing access
points with ARNs, access point aliases, or virtual-hosted-style URIs")."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions
from bot.diagnose.core import diagnose
from bot.field.build import compile_account
from bot.field.case import Case
from bot.layers import LayerId
from bot.parse import parse_text

OWNER = "111122223333"
OTHER = "444455556666"
ALIAS = "mfzwi23gnjvgw.mrap"
MRAP = f"arn:aws:s3::{OWNER}:accesspoint/{ALIAS}"
KEY = "exports/2026/12/03/part-0001.parquet"
BUCKET = "orders-us-east-1"


def _identity(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{MRAP}/object/exports/*"}],
    }


def _text() -> str:
    return (
        f"$ aws s3api get-object --bucket {MRAP} --key {KEY} part.parquet\n"
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )


def mrap_snapshot(
    *, caller_account: str, mrap_policy: dict[str, Any] | None, bucket_policy: dict[str, Any] | None
) -> dict[str, Any]:
    """An account with a Multi-Region Access Point over BUCKET (us-east-1) and another bucket (eu-west-1), as
    s3control answers GetMultiRegionAccessPoint and GetMultiRegionAccessPointPolicy."""
    role = f"arn:aws:sts::{caller_account}:assumed-role/exporter/run-7"
    bucket: dict[str, Any] = {"name": BUCKET, "account": OWNER, "object": {"key": KEY}}
    if bucket_policy is not None:
        bucket["policy"] = bucket_policy
    case = Case.model_validate(
        {
            "id": "mrap",
            "source": "https://example.invalid/t",
            "tool": "cli",
            "settled_by": "test",
            "text": _text(),
            "account": {"principal": {"arn": role, "inline": {"read": _identity(caller_account)}}, "bucket": bucket},
            "expected": {"layer": "bucket-policy", "decision": "implicit-deny"},
            "resolution": {"summary": "test"},
        }
    )
    snap = compile_account(case)
    report = {
        "Name": "orders-global",
        "Alias": ALIAS,
        "CreatedAt": "2026-06-01T00:00:00+00:00",
        "PublicAccessBlock": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        "Status": "READY",
        "Regions": [
            {"Bucket": BUCKET, "Region": "us-east-1", "BucketAccountId": OWNER},
            {"Bucket": "orders-eu-west-1", "Region": "eu-west-1", "BucketAccountId": OWNER},
        ],
    }
    policy_answer: dict[str, Any] = (
        {"Policy": {"Established": {"Policy": json.dumps(mrap_policy)}}} if mrap_policy is not None else {"Policy": {}}
    )
    snap["multi_region_access_point"] = {
        "arn": MRAP,
        "name": "orders-global",
        "alias": ALIAS,
        "account": OWNER,
        "calls": {
            "GetMultiRegionAccessPoint": {"AccessPoint": report},
            "GetMultiRegionAccessPointPolicy": policy_answer,
        },
    }
    return snap


def mrap_allows(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:role/exporter"},
                "Action": "s3:GetObject",
                "Resource": f"{MRAP}/object/*",
            }
        ],
    }


def _diagnose(snap: dict[str, Any], account: str) -> Any:
    req = parse_text(_text()).requests[0]
    principal = f"arn:aws:sts::{account}:assumed-role/exporter/run-7"
    return diagnose(req, account_view(snap), DiagnoseOptions(principal=principal))


def test_a_cross_account_request_through_a_multi_region_access_point_needs_the_bucket_policy_too() -> None:
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=mrap_allows(OTHER), bucket_policy=None)
    d = _diagnose(snap, OTHER)
    assert d.decision == "implicit-deny"
    first = d.root_causes[0]
    assert first.layer.value == "bucket-policy"
    assert first.evidence["multi_region_access_point"] == MRAP
    assert "Multi-Region Access Point allows the request" in first.summary


def test_a_multi_region_access_point_policy_that_grants_nothing_is_the_cause() -> None:
    delegating = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
            }
        ],
    }
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=None, bucket_policy=delegating)
    d = _diagnose(snap, OTHER)
    assert d.decision == "implicit-deny"
    assert d.root_causes[0].layer.value == "access-point-policy"


def test_a_same_account_request_through_a_multi_region_access_point_needs_only_the_iam_policy() -> None:
    snap = mrap_snapshot(caller_account=OWNER, mrap_policy=None, bucket_policy=None)
    d = _diagnose(snap, OWNER)
    # nothing s3why reads denies it: the pasted denial came from somewhere else, and the answer says so
    assert d.root_causes == (), d.root_causes
    assert d.layer(LayerId.IDENTITY).verdict == "allow"
    assert "everything s3why read allows it" in d.notes[0]


def test_the_same_cross_account_request_is_allowed_once_both_policies_grant_it() -> None:
    delegating = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointArn": MRAP}},
            }
        ],
    }
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=mrap_allows(OTHER), bucket_policy=delegating)
    d = _diagnose(snap, OTHER)
    assert d.root_causes == (), d.root_causes
    assert d.layer(LayerId.ACCESS_POINT_POLICY).verdict == "allow"


def test_an_unreadable_multi_region_access_point_leaves_its_layer_unknown() -> None:
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=None, bucket_policy=None)
    snap["multi_region_access_point"]["calls"]["GetMultiRegionAccessPoint"] = {
        "Error": {"Code": "AccessDenied", "Message": "Access Denied"}
    }
    d = _diagnose(snap, OTHER)
    assert d.decision != "allow"
    assert any(layer.layer.value == "access-point-policy" and layer.verdict == "unknown" for layer in d.layers), (
        d.layers
    )


def test_the_multi_region_access_points_own_block_public_access_is_a_level() -> None:
    from bot.diagnose.layers.block_public_access import settings_by_level

    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=None, bucket_policy=None)
    levels, _ = settings_by_level(account_view(snap))
    assert levels["Multi-Region Access Point"]["RestrictPublicBuckets"] is True
