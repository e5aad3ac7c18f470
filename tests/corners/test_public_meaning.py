"""S3's "The meaning of public" (S3 User Guide), as `is_public_policy` classifies bucket policies."""

from __future__ import annotations

from typing import Any

import pytest

from bot.diagnose.public import is_public_policy


def allow_all(condition: dict[str, Any] | None = None, principal: Any = "*") -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.mark.parametrize(
    ("condition", "public"),
    [
        # "this value can contain a wildcard for the access point name without rendering the policy public, as
        # long as the account ID is fixed"
        ({"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}, False),
        ({"ArnLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/app-*"}}, False),
        ({"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}}, True),
        ({"StringEquals": {"s3:DataAccessPointAccount": "123456789012"}}, False),
        ({"StringLike": {"aws:userid": "AROAEXAMPLE:*"}}, True),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
        (None, True),
    ],
)
def test_fixed_values_make_a_policy_non_public(condition: dict[str, Any] | None, public: bool) -> None:
    assert is_public_policy(allow_all(condition)) is public


def test_a_federated_principal_is_public() -> None:
    assert is_public_policy(allow_all(principal={"Federated": "graph.facebook.com"})) is True
