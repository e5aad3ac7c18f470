"""Another account's bucket whose policy s3why cannot read (an AWS-owned bucket): when AWS denied the request and
the caller's side allows it, the owner's side is the likely cause (said as such); for the same request on a
changed account (verification, `s3why can`), nothing denied it, so the unread side is only unread — never a
denial s3why did not see (issue 19 §4, claim only what was checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions
from bot.diagnose.core import diagnose
from bot.field.build import compile_account
from bot.field.case import load_case
from bot.layers import LayerId
from bot.parse.model import DeniedRequest

CASE = Path(__file__).parents[1] / "field" / "cases" / "glue-crawler-managed-policy-awsglue-datasets-prefix.yaml"
SESSION = "arn:aws:sts::443322110099:assumed-role/AWSGlueServiceRole-legislators/AWS-Crawler"
KEY = "examples/us-legislators/house/persons.json"


def _granted() -> dict[str, Any]:
    """The crawler's snapshot with its role granted the read (the caller's side allows it)."""
    case = load_case(CASE)
    assert case.account.principal is not None
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::awsglue-datasets/examples/*"}
    inline = {"read-datasets": {"Version": "2012-10-17", "Statement": [grant]}}
    principal = case.account.principal.model_copy(update={"inline": inline})
    return compile_account(
        case.model_copy(update={"account": case.account.model_copy(update={"principal": principal})})
    )


def _diagnose(snap: dict[str, Any], *, denied: bool) -> Any:
    req = DeniedRequest(
        service="s3", operation="GetObject", bucket="awsglue-datasets", key=KEY, error_code="AccessDenied"
    )
    options = DiagnoseOptions(principal=SESSION, text_is_evidence=denied)
    return diagnose(req, account_view(snap), options)


def test_a_denied_cross_account_read_names_the_unread_owner_side_as_the_likely_cause() -> None:
    d = _diagnose(_granted(), denied=True)
    assert d.root_causes[0].layer is LayerId.BUCKET_POLICY
    assert d.root_causes[0].evidence.get("suspect") is True


def test_the_same_read_on_a_changed_account_leaves_the_owner_side_unread_not_denying() -> None:
    d = _diagnose(_granted(), denied=False)
    assert d.root_causes == ()
    assert d.decision == "unknown"
    assert d.layer(LayerId.BUCKET_POLICY).verdict == "unknown"
    assert d.layer(LayerId.IDENTITY).verdict == "allow"
