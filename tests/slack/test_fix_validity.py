"""Issue 20 through the Slack app: request-side fixes carry a value AWS's S3 model accepts (§2), and a policy
patch is reviewed as valid IAM before it is offered."""

from __future__ import annotations

import json

from bot.demo.scenarios import allow, bucket, doc, role
from tests.account.conftest import OWN
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed

JSON = "application/json"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
PASTE = (
    "```upload failed: ./a.txt to s3://sse-required/in/a.txt An error occurred (AccessDenied) when calling the "
    f"PutObject operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "
    '"arn:aws:s3:::sse-required/in/a.txt" with an explicit deny in a resource-based policy```'
)


def test_a_null_checked_header_is_answered_with_a_value_s3_accepts(harness: Harness) -> None:
    role(allow("s3:PutObject", "arn:aws:s3:::sse-required/*"))
    s3 = bucket("sse-required")
    s3.put_bucket_policy(Bucket="sse-required", Policy=doc({
        "Sid": "RequireSse", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::sse-required/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}))  # fmt: skip
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvNullSse"), JSON)[0] == 200
    shown = json.dumps(harness.fake.wait_for("chat.update")[-1].body["blocks"])
    assert "x-amz-server-side-encryption: AES256" in shown
    assert "--server-side-encryption AES256" in shown
    assert "x-amz-server-side-encryption: true" not in shown


def test_the_answer_grants_the_workloads_stable_prefix_not_one_date_folder(harness: Harness) -> None:
    role(allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data")
    paste = (
        "upload failed: ./a.csv to s3://team-data/exports/2025/03/01/a.csv An error occurred (AccessDenied) when "
        f"calling the PutObject operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::team-data/exports/2025/03/01/a.csv" because no identity-based policy allows the s3:PutObject '
        "action"
    )
    assert post_signed(harness.endpoint, SECRET, event(message(paste), event_id="EvNightly"), JSON)[0] == 200
    shown = json.dumps(harness.fake.wait_for("chat.update")[-1].body["blocks"])
    assert "arn:aws:s3:::team-data/exports/*" in shown
    assert "arn:aws:s3:::team-data/exports/2025/03/01/*" not in shown
    assert "any object under exports/ in team-data (above the partition 2025/03/01/" in shown
