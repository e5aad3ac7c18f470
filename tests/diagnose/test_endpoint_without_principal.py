"""The VPC endpoint policy when the text does not name the principal (a Docker pull's layer download through a
URL ECR signed): it must allow every request through the endpoint, so a policy none of whose statements covers
the action on the resource denies it whoever signed it; one that may allow it depending on the caller is unknown,
never a denial (issue 19 §2, signers other than the paster)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions
from bot.diagnose.core import diagnose
from bot.field.build import compile_account
from bot.field.case import load_case
from bot.layers import LayerId
from bot.parse.model import DeniedRequest

CASE = Path(__file__).parents[1] / "field" / "cases" / "ecr-pull-s3-gateway-endpoint-policy-starport-layer-bucket.yaml"
BUCKET = "prod-us-east-1-starport-layer-bucket"
KEY = "sha256/6a/6a5697faee43"
ENDPOINT: dict[str, tuple[str, ...]] = {"aws:SourceVpce": ("vpce-0f1e2d3c4b5a69788",)}


def _snapshot(*extra: dict[str, Any]) -> dict[str, Any]:
    snap = copy.deepcopy(compile_account(load_case(CASE)))
    call = snap["vpc_endpoint"]["calls"]["DescribeVpcEndpoints"]["VpcEndpoints"][0]
    policy = json.loads(call["PolicyDocument"])
    policy["Statement"] += list(extra)
    call["PolicyDocument"] = json.dumps(policy)
    return snap


def _diagnose(snap: dict[str, Any], principal: str | None = None) -> Any:
    req = DeniedRequest(service="s3", operation="GetObject", bucket=BUCKET, key=KEY, error_code="AccessDenied")
    return diagnose(req, account_view(snap), DiagnoseOptions(principal=principal, context=ENDPOINT))


def test_an_endpoint_policy_that_covers_none_of_the_request_denies_it_whoever_signed_it() -> None:
    d = _diagnose(_snapshot())
    assert d.decision == "implicit-deny"
    first = d.root_causes[0]
    assert first.layer is LayerId.VPC_ENDPOINT_POLICY and first.kind == "implicit"
    assert first.evidence["any_principal"] is True and first.evidence["action"] == "s3:GetObject"
    assert d.layer(LayerId.VPC_ENDPOINT_POLICY).verdict == "no-allow"
    assert d.layer(LayerId.IDENTITY).verdict == "unknown"  # who signed it is still not known
    assert d.request["resolved"]["resource"] == f"arn:aws:s3:::{BUCKET}/{KEY}"


def test_a_statement_that_may_allow_it_for_some_principal_leaves_the_endpoint_unknown() -> None:
    some = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/puller"}},
    }
    d = _diagnose(_snapshot(some))
    assert d.root_causes == () and d.decision == "unknown"
    assert d.layer(LayerId.VPC_ENDPOINT_POLICY).verdict == "unknown"
    everyone = {k: v for k, v in some.items() if k != "Condition"}
    d = _diagnose(_snapshot(everyone))
    assert d.root_causes == () and d.layer(LayerId.VPC_ENDPOINT_POLICY).verdict == "allow"


def test_the_layer_download_gets_an_endpoint_statement_for_the_aws_owned_bucket() -> None:
    from bot.fixes import propose_fixes

    snap = _snapshot()
    req = DeniedRequest(service="s3", operation="GetObject", bucket=BUCKET, key=KEY, error_code="AccessDenied")
    options = DiagnoseOptions(context=ENDPOINT)
    d = diagnose(req, account_view(snap), options)
    first = propose_fixes(req, snap, options, d)[0]
    assert first.layer == "vpc-endpoint-policy"
    (patch,) = first.patches
    assert patch.document is not None
    added = patch.document["Statement"][-1]
    assert added["Principal"] == "*" and added["Action"] == ["s3:GetObject"]
    assert all(r.startswith(f"arn:aws:s3:::{BUCKET}/") for r in added["Resource"])
    assert not first.verified  # who signed it, and the AWS-owned bucket's layers, are not known


def test_a_malformed_endpoint_policy_is_unknown_not_absent() -> None:
    bad = {"Effect": "Allow", "Principal": "*", "Action": [], "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    d = _diagnose(_snapshot(bad), principal="anonymous")
    report = d.layer(LayerId.VPC_ENDPOINT_POLICY)
    assert report.verdict == "unknown" and "malformed" in report.detail
