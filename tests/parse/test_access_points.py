"""Every documented form of an access point, an alias and a Multi-Region Access Point, recognised as one
(S3 User Guide, "Referencing access points with ARNs, access point aliases, or virtual-hosted-style URIs";
"Making requests through a Multi-Region Access Point"; "General purpose bucket naming rules")."""

from __future__ import annotations

import pytest

from bot.parse import parse_text
from bot.parse.access_points import (
    AccessPointKind,
    access_point_host,
    access_point_in_urls,
    access_point_ref,
    mrap_arn,
)


@pytest.mark.parametrize(
    ("token", "kind", "name", "account", "region", "key"),
    [
        ("arn:aws:s3:us-west-2:123456789012:accesspoint/test", AccessPointKind.ACCESS_POINT, "test",
         "123456789012", "us-west-2", None),
        ("arn:aws:s3:us-west-2:123456789012:accesspoint/test/object/unit-01/finance/a.csv",
         AccessPointKind.ACCESS_POINT, "test", "123456789012", "us-west-2", "unit-01/finance/a.csv"),
        ("arn:aws:s3:us-west-2:123456789012:accesspoint:test", AccessPointKind.ACCESS_POINT, "test",
         "123456789012", "us-west-2", None),
        ("arn:aws-cn:s3:cn-north-1:123456789012:accesspoint/cn-ap", AccessPointKind.ACCESS_POINT, "cn-ap",
         "123456789012", "cn-north-1", None),
        ("arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap", AccessPointKind.MULTI_REGION,
         "mfzwi23gnjvgw.mrap", "123456789012", None, None),
        ("arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap/object/logs/a.gz", AccessPointKind.MULTI_REGION,
         "mfzwi23gnjvgw.mrap", "123456789012", None, "logs/a.gz"),
        ("arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/redact", AccessPointKind.OBJECT_LAMBDA,
         "redact", "123456789012", "us-east-1", None),
        ("my-access-point-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", AccessPointKind.ALIAS,
         "my-access-point-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", None, None, None),
        ("my-object-lambda-acc-1a4n8yjrb3kda96f67zwrwiiuse1a--ol-s3", AccessPointKind.OBJECT_LAMBDA_ALIAS,
         "my-object-lambda-acc-1a4n8yjrb3kda96f67zwrwiiuse1a--ol-s3", None, None, None),
        ("example-outp-o01ac5d28a6a232904e8xz5w8ijx1qzlbp3i3kuse10--op-s3", AccessPointKind.OUTPOSTS_ALIAS,
         "example-outp-o01ac5d28a6a232904e8xz5w8ijx1qzlbp3i3kuse10--op-s3", None, None, None),
    ],
)  # fmt: skip
def test_every_documented_access_point_form_is_recognised(
    token: str, kind: AccessPointKind, name: str, account: str | None, region: str | None, key: str | None
) -> None:
    ref = access_point_ref(token)
    assert ref is not None
    assert (ref.kind, ref.name, ref.account, ref.region, ref.key) == (kind, name, account, region, key)


@pytest.mark.parametrize(
    "token",
    ["my-bucket", "logs.example.com", "s3alias", "arn:aws:s3:::my-bucket/key", "UPPER-s3alias", "-bad-s3alias"],
)
def test_buckets_and_other_arns_are_not_access_points(token: str) -> None:
    assert access_point_ref(token) is None


def test_the_access_point_host_carries_name_account_and_region() -> None:
    ref = access_point_host("finance-docs-123456789012.s3-accesspoint.eu-west-1.amazonaws.com")
    assert ref is not None and ref.arn == "arn:aws:s3:eu-west-1:123456789012:accesspoint/finance-docs"
    dual = access_point_host("finance-docs-123456789012.s3-accesspoint.dualstack.eu-west-1.amazonaws.com")
    assert dual is not None and dual.arn == ref.arn


def test_the_global_host_names_the_multi_region_access_points_alias_and_no_account() -> None:
    ref = access_point_host("mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com")
    assert ref is not None and ref.kind is AccessPointKind.MULTI_REGION
    assert ref.name == "mfzwi23gnjvgw.mrap" and ref.arn is None and ref.resource_arn is None
    assert mrap_arn("123456789012", ref.name) == "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"


def test_a_url_to_an_access_point_host_gives_the_object_arn() -> None:
    text = "GET https://finance-docs-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/2026/q4.csv -> 403"
    ref = access_point_in_urls(text)
    assert ref is not None
    assert ref.resource_arn == "arn:aws:s3:eu-west-1:123456789012:accesspoint/finance-docs/object/2026/q4.csv"


def test_a_pasted_denial_through_an_access_point_host_names_the_access_point_not_a_bucket() -> None:
    text = (
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
        "Access Denied\nDEBUG Sending http request: <AWSPreparedRequest method=GET, "
        "url=https://finance-docs-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/2026/q4.csv>"
    )
    req = parse_text(text).requests[0]
    assert req.resource_arn == "arn:aws:s3:eu-west-1:123456789012:accesspoint/finance-docs/object/2026/q4.csv"
    assert req.key == "2026/q4.csv"
    assert req.bucket is None


def test_an_alias_in_the_buckets_place_stays_the_bucket_the_request_named() -> None:
    alias = "my-access-point-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
    text = (
        f"$ aws s3api get-object --bucket {alias} --key a/b.csv b.csv\n"
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    req = parse_text(text).requests[0]
    assert req.bucket == alias and req.key == "a/b.csv"
