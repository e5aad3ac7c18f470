"""AWS's record of the denial in the Slack app: the authorization ID in the paste, the record from the local
iam-toolbox fake (botocore's real HTTP stack), shown beside s3why's evaluation."""

from __future__ import annotations

import json
from typing import Any

from tests.account.toolbox_fake import EXPIRED, FORBIDDEN, FakeToolbox, toolbox
from tests.corners.test_aws_record import AUTH_ID, BUCKET, KEY, SESSION, seed_account, seed_record
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed

__all__ = ["toolbox"]  # the fixture

PASTE = (
    f"An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized to "
    f'perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/{KEY}" with an explicit deny in a resource-based '
    "policy. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/"
    f"{AUTH_ID} for complete details, or call the GetRequestAuthorizationDetails API with the following "
    f"authorization id: {AUTH_ID}"
)


def _answer(h: Harness, event_id: str) -> str:
    assert post_signed(h.endpoint, SECRET, event(message(PASTE), event_id=event_id), "application/json")[0] == 200
    blocks: list[dict[str, Any]] = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return json.dumps(blocks)


def test_the_record_confirms_the_answer_in_slack(harness: Harness, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox)
    text = _answer(harness, "EvRecord1")
    assert "confirmed by AWS" in text and AUTH_ID in text and "DenyOutsideVpce" in text
    assert any(r.startswith(f"GET /authorization-details/{AUTH_ID}") for r in toolbox.requests)


def test_a_disagreement_is_said_plainly_in_slack(harness: Harness, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, check="PRINCIPAL", effect="IMPLICIT_DENY")
    text = _answer(harness, "EvRecord2")
    assert "disagree" in text and "s3why" in text and "identity-based policies" in text


def test_an_expired_record_is_one_line_in_slack(harness: Harness, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, state=EXPIRED)
    text = _answer(harness, "EvRecord3")
    assert "No AWS record" in text and "expired" in text
    assert "bucket-policy" in text  # the diagnosis goes on from s3why's own evaluation


def test_a_forbidden_record_names_the_permission_in_slack(harness: Harness, toolbox: FakeToolbox) -> None:
    seed_account()
    seed_record(toolbox, state=FORBIDDEN)
    text = _answer(harness, "EvRecord4")
    assert "No AWS record" in text and "iam:GetRequestAuthorizationDetails" in text


def test_a_policy_changed_since_the_denial_is_said_in_slack(harness: Harness, toolbox: FakeToolbox) -> None:
    seed_account(today_vpce="vpce-0ccccccccccccccccc")
    seed_record(toolbox)
    text = _answer(harness, "EvRecord5")
    assert "changed since the denial" in text and "may already be gone" in text
