"""An access point with network origin VPC refuses every request that does not come from its VPC, before its
policy counts (S3 User Guide, "Creating access points restricted to a virtual private cloud")."""

from __future__ import annotations

from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions
from bot.diagnose.core import diagnose
from bot.field.build import compile_account
from bot.field.case import Case
from bot.parse import parse_text

VPC = "vpc-0c1d2e3f4a5b6c7d8"
AP = "arn:aws:s3:us-east-1:111122223333:accesspoint/training-vpc"
ROLE = "arn:aws:sts::111122223333:assumed-role/ml-engineer/lchen"
TEXT = (
    f"$ aws s3api get-object --bucket {AP} --key data/train-00001.tar out.tar\n"
    "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
)
ALLOW_ALL_VIA_AP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"{AP}/object/*", "arn:aws:s3:::ml-data/*"]}
    ],
}


def _snapshot(origin: str) -> dict[str, Any]:
    case = Case.model_validate(
        {
            "id": "ap",
            "source": "https://example.invalid/t",
            "tool": "cli",
            "settled_by": "test",
            "text": TEXT,
            "account": {
                "principal": {"arn": ROLE, "inline": {"read": ALLOW_ALL_VIA_AP}},
                "access_point": {
                    "name": "training-vpc",
                    "account": "111122223333",
                    "network_origin": origin,
                    "vpc_id": VPC if origin == "VPC" else None,
                },
                "bucket": {
                    "name": "ml-data",
                    "account": "111122223333",
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "*"},
                                "Action": "*",
                                "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
                                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}},
                            }
                        ],
                    },
                    "object": {"key": "data/train-00001.tar"},
                },
            },
            "expected": {"layer": "access-point-policy", "decision": "implicit-deny"},
            "resolution": {"summary": "test"},
        }
    )
    return compile_account(case)


def _decide(origin: str, context: dict[str, tuple[str, ...]]) -> Any:
    req = parse_text(TEXT).requests[0]
    return diagnose(req, account_view(_snapshot(origin)), DiagnoseOptions(principal=ROLE, context=context))


def test_a_vpc_origin_access_point_refuses_a_request_that_does_not_come_from_its_vpc() -> None:
    d = _decide("VPC", {})
    assert d.decision == "implicit-deny"
    first = d.root_causes[0]
    assert first.layer.value == "access-point-policy" and first.evidence["vpc_id"] == VPC
    assert VPC in first.summary


def test_the_same_request_from_its_vpc_or_through_an_internet_origin_access_point_is_not_refused() -> None:
    from_vpc = _decide("VPC", {"aws:SourceVpc": (VPC,)})
    internet = _decide("Internet", {})
    for d in (from_vpc, internet):
        assert all(c.layer.value != "access-point-policy" for c in d.root_causes), d.root_causes
