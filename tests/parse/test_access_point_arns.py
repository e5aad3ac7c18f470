"""An access point (or Multi-Region Access Point) ARN where the bucket goes is the request's resource, never a
bucket named `arn` (S3 User Guide, "Using access points"; "Multi-Region Access Points")."""

from __future__ import annotations

import pytest

from bot.parse import parse_text

DENIED = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
CASES = [
    (
        f"$ aws s3api get-object --bucket arn:aws:s3:us-east-1:111122223333:accesspoint/finance --key q1/pnl.csv x\n{DENIED}",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/finance/object/q1/pnl.csv",
    ),
    (
        f"download failed: s3://arn:aws:s3:us-west-2:123456789012:accesspoint/myap/data/x.csv to ./x.csv {DENIED}",
        "arn:aws:s3:us-west-2:123456789012:accesspoint/myap/object/data/x.csv",
    ),
    (
        f"s3.get_object(Bucket='arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap', Key='a/b.txt')\n{DENIED}",
        "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap/object/a/b.txt",
    ),
]


@pytest.mark.parametrize(("text", "resource"), CASES, ids=["s3api-bucket-option", "s3-uri", "boto3-mrap"])
def test_an_access_point_arn_in_the_bucket_argument_is_the_resource(text: str, resource: str) -> None:
    req = parse_text(text).requests[0]
    assert req.resource_arn == resource
    assert req.bucket is None  # the access point's bucket is read from the access point, not guessed
