"""What a channel member who is not an approver sees (issue 22 §1, attack findings 1 and 8), through the real Bolt
app with approvers configured: never an access key owner's user name, never another statement of a policy."""

from __future__ import annotations

import json
import re

from bot.approve.store import PatchStore
from bot.demo.scenarios import bucket, doc, s_bucket_deny_principal_arn
from tests.account.conftest import OTHER, OWN, client, session_in
from tests.approve.support import APPROVER, STRANGER
from tests.presigned_seed import DENIED, seed_signer
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, approving

__all__ = ["approving"]
Approving = tuple[Harness, str, PatchStore]


def test_the_key_owner_s_user_name_is_nowhere_in_what_a_stranger_sees(approving: Approving) -> None:
    h, endpoint, _ = approving
    url = seed_signer().presign().replace("&", "&amp;")  # as Slack delivers it
    paste = f"this link fails:\ncurl <{url}>\n{DENIED}"
    assert post_signed(endpoint, SECRET, event(message(paste, user=STRANGER), event_id="EvOwnerName"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    posted = h.fake.everything_posted()
    assert not re.search(r"(?<![\w-])reporter(?![\w-])", posted)  # the IAM user apps/reporter, in no words
    assert f"an IAM user of {OWN}" in json.dumps(answer) and "(key owner)" in json.dumps(answer)
    options = [o for b in answer["blocks"] for o in (b.get("accessory") or {}).get("options", [])]
    assert options and all(len(o["text"]["text"]) <= 75 for o in options)


def _full_report_for(h: Harness, endpoint: str, answer: dict[str, object], user: str) -> str:
    blocks = answer["blocks"]
    assert isinstance(blocks, list)
    run_id = next(
        e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "s3why_full_report"
    )  # fmt: skip
    click = {"type": "button", "action_id": "s3why_full_report", "value": run_id}
    assert post_signed(endpoint, SECRET, block_action(click, str(answer["ts"]), user), FORM)[0] == 200
    return "\n".join(c.body["text"] for c in h.fake.wait_for("chat.postEphemeral") if c.body["user"] == user)


def test_a_fix_to_a_bucket_policy_shows_strangers_the_statement_added_not_the_policy(approving: Approving) -> None:
    h, endpoint, _ = approving
    s3 = bucket("ledger")
    existing = (
        {"Sid": "BreakGlassOnly", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/break-glass-7f3a"},
         "Action": "s3:*", "Resource": ["arn:aws:s3:::ledger", "arn:aws:s3:::ledger/*"]},
        {"Sid": "AuditorsFromVpn", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/auditor"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ledger/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}},
    )  # fmt: skip
    s3.put_bucket_policy(Bucket="ledger", Policy=doc(*existing))
    iam = client("iam", session=session_in(OTHER))  # the partner's own side allows it: the bucket policy must
    iam.create_role(RoleName="partner", AssumeRolePolicyDocument="{}")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ledger/*"}
    iam.put_role_policy(RoleName="partner", PolicyName="read", PolicyDocument=doc(read))
    text = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f"arn:aws:sts::{OTHER}:assumed-role/partner/x is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::ledger/q1.csv" because no resource-based policy allows the s3:GetObject action'
    )
    assert post_signed(endpoint, SECRET, event(message(text, user=STRANGER), event_id="EvWhole"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    posted = h.fake.everything_posted()
    for existing_word in (
        "break-glass-7f3a",
        "BreakGlassOnly",
        "198.51.100.0/24",
        "AuditorsFromVpn",
        "put-bucket-policy",
    ):
        assert existing_word not in posted, existing_word
    shown = json.dumps(answer["blocks"])
    assert "the statement this fix adds" in shown and f"arn:aws:iam::{OTHER}:role/partner" in shown
    assert "other 2 statements stay as they are" in shown
    report = _full_report_for(h, endpoint, answer, APPROVER)  # the approver's Full report has it all
    assert "put-bucket-policy" in report and "198.51.100.0/24" in report


def test_the_deciding_statement_is_summarised_for_strangers(approving: Approving) -> None:
    h, endpoint, _ = approving
    s_bucket_deny_principal_arn()
    text = (
        "download failed: s3://locked-data/report.csv to ./report.csv An error occurred (AccessDenied) when "
        "calling the GetObject operation: User: arn:aws:sts::123456789012:assumed-role/app/run-1 is not authorized "
        'to perform: s3:GetObject on resource: "arn:aws:s3:::locked-data/report.csv" with an explicit deny in a '
        "resource-based policy"
    )
    assert post_signed(endpoint, SECRET, event(message(text, user=STRANGER), event_id="EvDeciding"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    posted = h.fake.everything_posted()
    assert "role/admin" not in posted and '"Effect"' not in posted and "StringNotEquals" not in posted
    shown = json.dumps(answer["blocks"])
    assert "Statement `OnlyAdmins`: Deny" in shown and "`aws:PrincipalArn`" in shown
