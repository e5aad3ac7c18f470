"""A request nothing signs (a plain `curl`/`wget` of an S3 URL) is anonymous: S3 authorizes it as the anonymous
principal, so only public grants and the network path decide (S3 User Guide, "Authenticating requests")."""

from __future__ import annotations

from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions
from bot.diagnose.candidates import diagnose_request
from bot.field.build import compile_account
from bot.field.case import Case
from bot.fixes import propose_fixes
from bot.parse import parse_text

VPCE = "vpce-0a1b2c3d4e5f60718"
CURL = (
    "$ curl https://public-tools.s3.amazonaws.com/downloads/agent-1.2.zip\n"
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>8J2K4M6P8R0T2V4X</RequestId></Error>"
)


def _snapshot() -> dict[str, Any]:
    case = Case.model_validate(
        {
            "id": "anon",
            "source": "https://example.invalid/t",
            "tool": "cli",
            "settled_by": "test",
            "text": CURL,
            "account": {
                "bucket": {
                    "name": "public-tools",
                    "account": "999999999999",
                    "public_access_block": None,
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "PublicRead",
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::public-tools/*",
                            }
                        ],
                    },
                    "object": {"key": "downloads/agent-1.2.zip"},
                },
                "vpc_endpoint": {
                    "id": VPCE,
                    "account": "111122223333",
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": ["arn:aws:s3:::our-artifacts", "arn:aws:s3:::our-artifacts/*"],
                            }
                        ],
                    },
                },
            },
            "expected": {"layer": "vpc-endpoint-policy", "decision": "implicit-deny"},
            "resolution": {"summary": "test"},
        }
    )
    return compile_account(case)


def test_an_unsigned_curl_is_an_anonymous_request() -> None:
    assert parse_text(CURL).requests[0].anonymous is True
    signed = CURL.replace("curl ", "curl --aws-sigv4 aws:amz:us-east-1:s3 --user AK:SK ")
    assert parse_text(signed).requests[0].anonymous is False


def test_an_anonymous_request_is_diagnosed_as_the_anonymous_principal_and_its_endpoint_fix_names_no_principal() -> None:
    snap = _snapshot()
    req = parse_text(CURL).requests[0]
    d, settled, fixable = diagnose_request(
        req, account_view(snap), DiagnoseOptions(context={"aws:SourceVpce": (VPCE,)})
    )
    assert d.request["resolved"]["principal"] == "anonymous"
    assert d.decision == "implicit-deny" and d.root_causes[0].layer.value == "vpc-endpoint-policy"
    assert fixable
    fixes = propose_fixes(req, snap, settled, d)
    document = fixes[0].patches[0].document
    assert document is not None
    statement = document["Statement"][-1]
    assert statement["Principal"] == "*" and "Condition" not in statement  # aws:PrincipalArn is absent for anonymous
    assert fixes[0].verified is True
